"""Security checklists for small businesses: one item at a time, resumable, scored at the end,
compared with the previous attempt, and given as a PDF report.

Progress lives in the database (ChecklistRuns), so a restart or another process continues any
attempt. Buttons carry the run id and the item key, and are checked against the run on the way
back: a forged or stale button changes nothing.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from babel.dates import format_date

from bot.content.catalog import Catalog
from bot.content.models import Checklist, ChecklistItem
from bot.core import callbacks
from bot.core.messages import Button, Document, Outcome, Reply, Turn
from bot.core.ports import ChecklistRun, ChecklistRuns, Clock, ReportRenderer
from bot.core.registry import Registration, ignoring_reading
from bot.core.report import ChecklistReport, ReportItem, ReportStep
from bot.text.markup import escape, to_plain

# Button codes for answers; the stored value is the long form.
ITEM_ANSWERS = {"d": "done", "n": "not_yet", "x": "na"}
SCOPE_ANSWERS = {"y": "yes", "n": "no", "u": "unsure"}
SCOPE_PREFIX = "scope:"
NEXT_STEPS = 3


def score_of(checklist: Checklist, answers: dict[str, str]) -> int:
    """Weighted share of the applicable items that are done, 0..100."""
    applicable = [i for i in checklist.items if answers.get(i.key) != "na"]
    total = sum(i.weight for i in applicable)
    if total == 0:
        return 100
    done = sum(i.weight for i in applicable if answers.get(i.key) == "done")
    return round(100 * done / total)


def question_count(checklist: Checklist) -> int:
    """Scope questions and items: what the user answers."""
    return len(checklist.items) + (len(checklist.scope.questions) if checklist.scope else 0)


def next_steps(checklist: Checklist, answers: dict[str, str]) -> list[ChecklistItem]:
    """The most important items not done yet: highest weight first, then in checklist order."""
    open_items = [i for i in checklist.items if answers.get(i.key) == "not_yet"]
    return sorted(open_items, key=lambda item: -item.weight)[:NEXT_STEPS]


def scope_answers(answers: dict[str, str]) -> dict[str, str]:
    return {
        key.removeprefix(SCOPE_PREFIX): value
        for key, value in answers.items()
        if key.startswith(SCOPE_PREFIX)
    }


class ChecklistFeature:
    def __init__(
        self, catalog: Catalog, runs: ChecklistRuns, clock: Clock, renderer: ReportRenderer
    ) -> None:
        self.catalog = catalog
        self.runs = runs
        self.clock = clock
        self.renderer = renderer

    # --- entry points -----------------------------------------------------------------------

    async def choose(self, turn: Turn) -> Outcome:
        lang = turn.language
        rows: list[tuple[Button, ...]] = []
        for checklist in self._checklists(lang).values():
            running = await self.runs.open_run(turn.incoming.user_id, checklist.id)
            label = checklist.button
            if running is not None:
                label = self.catalog.text(lang, "checklist.continue_button", name=label)
            rows.append((Button(label, data=callbacks.encode("ck", checklist.id)),))
        rows.append((Button(self.catalog.text(lang, "button.menu"), data="m"),))
        text = self.catalog.text(lang, "checklist.choose")
        return Outcome((Reply(text, buttons=tuple(rows)),), lang, topic="sme_checklist")

    def registration(self) -> Registration:
        return Registration(
            "checklists",
            commands={"checklist": self.choose},
            intents={"sme_checklist": ignoring_reading(self.choose)},
            actions=frozenset({"ckl", "ck", "cks", "cka", "ckh", "ckp", "ckz"}),
            callback=self.callback,
        )

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        user = turn.incoming.user_id
        match data.action, data.args:
            case "ckl", ():
                return await self.choose(turn)
            case "ck", (checklist_id,) if self._checklist(turn.language, checklist_id):
                running = await self.runs.open_run(user, checklist_id)
                if running is not None:
                    return self._out(turn, self._question(turn.language, running, resumed=True))
                return self._out(turn, self._intro(turn.language, checklist_id))
            case "cks", (checklist_id,) if self._checklist(turn.language, checklist_id):
                run = await self.runs.start(user, checklist_id, self.clock.now())
                return self._out(turn, self._question(turn.language, run))
            case "cka", (run_id, key, code) if run_id.isdigit():
                return await self._answer(turn, int(run_id), key, code)
            case "ckh", (run_id, key) if run_id.isdigit():
                return await self._how(turn, int(run_id), key)
            case "ckz", ():
                return self._out(turn, Reply(self.catalog.text(turn.language, "checklist.paused")))
            case "ckp", (run_id,) if run_id.isdigit():
                return await self._pdf(turn, int(run_id))
        return None

    # --- steps ----------------------------------------------------------------------------

    def _intro(self, lang: str, checklist_id: str) -> Reply:
        checklist = self._checklists(lang)[checklist_id]
        count = question_count(checklist)
        text = f"<b>{checklist.title}</b>\n\n{checklist.intro}\n\n" + self.catalog.plural(
            lang, "checklist.length", count
        )
        buttons = (
            (
                Button(
                    self.catalog.text(lang, "checklist.start"),
                    data=callbacks.encode("cks", checklist_id),
                ),
            ),
            (Button(self.catalog.text(lang, "checklist.other"), data="ckl"),),
        )
        return Reply(text, buttons=buttons)

    def _question(self, lang: str, run: ChecklistRun, resumed: bool = False) -> Reply:
        checklist = self._checklists(lang)[run.checklist]
        position, total = self._progress(checklist, run)
        header = f"<b>{checklist.title}</b> · {position}/{total}"
        if resumed:
            header = self.catalog.text(lang, "checklist.resumed") + "\n" + header
        scope = checklist.scope
        if scope is not None:
            for question in scope.questions:
                if SCOPE_PREFIX + question.key not in run.answers:
                    intro = f"\n\n{scope.intro}" if question is scope.questions[0] else ""
                    buttons = tuple(
                        Button(
                            self.catalog.text(lang, f"checklist.scope.{value}"),
                            data=callbacks.encode("cka", run.run_id, question.key, code),
                        )
                        for code, value in SCOPE_ANSWERS.items()
                    )
                    text = f"{header}{intro}\n\n{question.text}"
                    return Reply(text, buttons=(buttons, self._pause_row(lang)))
        for item in checklist.items:
            if item.key not in run.answers:
                return self._item(lang, run, item, header)
        raise AssertionError("a finished run has no next question")

    def _item(self, lang: str, run: ChecklistRun, item: ChecklistItem, header: str) -> Reply:
        why = self.catalog.text(lang, "checklist.why")
        text = f"{header}\n\n<b>{item.title}</b>\n\n<i>{why}</i> {item.why}"
        how = Button(
            self.catalog.text(lang, "checklist.how"),
            data=callbacks.encode("ckh", run.run_id, item.key),
        )
        return Reply(
            text, buttons=(self._answer_row(lang, run, item), (how,), self._pause_row(lang))
        )

    def _answer_row(self, lang: str, run: ChecklistRun, item: ChecklistItem) -> tuple[Button, ...]:
        return tuple(
            Button(
                self.catalog.text(lang, f"checklist.answer.{value}"),
                data=callbacks.encode("cka", run.run_id, item.key, code),
            )
            for code, value in ITEM_ANSWERS.items()
        )

    def _pause_row(self, lang: str) -> tuple[Button, ...]:
        return (Button(self.catalog.text(lang, "checklist.pause"), data="ckz"),)

    async def _answer(self, turn: Turn, run_id: int, key: str, code: str) -> Outcome | None:
        lang = turn.language
        run = await self._own_run(turn, run_id)
        if run is None:
            return None
        checklist = self._checklists(lang)[run.checklist]
        stored = self._stored_answer(checklist, key, code)
        if stored is None:
            return None
        if run.finished_at is not None:
            return self._out(turn, self._finished_already(lang, run))
        updated = await self.runs.answer(run.run_id, stored[0], stored[1])
        if updated is None:
            return self._out(turn, self._finished_already(lang, run))
        if self._remaining(checklist, updated):
            return self._out(turn, self._question(lang, updated))
        return await self._finish(turn, checklist, updated)

    def _stored_answer(self, checklist: Checklist, key: str, code: str) -> tuple[str, str] | None:
        if checklist.scope and any(q.key == key for q in checklist.scope.questions):
            value = SCOPE_ANSWERS.get(code)
            return (SCOPE_PREFIX + key, value) if value else None
        if any(item.key == key for item in checklist.items) and code in ITEM_ANSWERS:
            return key, ITEM_ANSWERS[code]
        return None

    async def _how(self, turn: Turn, run_id: int, key: str) -> Outcome | None:
        lang = turn.language
        run = await self._own_run(turn, run_id)
        if run is None:
            return None
        checklist = self._checklists(lang)[run.checklist]
        item = next((i for i in checklist.items if i.key == key), None)
        if item is None:
            return None
        text = f"<b>{item.title}</b>\n\n{item.how}\n\n" + self._source_lines(lang, item)
        rows: list[tuple[Button, ...]] = []
        if run.finished_at is None and key not in run.answers:
            rows.append(self._answer_row(lang, run, item))
            rows.append(self._pause_row(lang))
        if item.topic and self.catalog.answer(lang, item.topic):
            answer = self.catalog.answer(lang, item.topic)
            assert answer is not None
            rows.append((Button(answer.title, data=callbacks.encode("t", item.topic)),))
        return self._out(turn, Reply(text, buttons=tuple(rows)))

    async def _finish(self, turn: Turn, checklist: Checklist, run: ChecklistRun) -> Outcome:
        lang = turn.language
        score = score_of(checklist, run.answers)
        finished = await self.runs.finish(run.run_id, score, self.clock.now())
        run = finished or run
        band = checklist.band(score)
        parts = [
            self.catalog.text(lang, "checklist.score", title=checklist.title, score=score),
            f"<b>{band.label}</b>. {band.text}",
        ]
        comparison = await self._comparison(lang, run, score)
        if comparison:
            parts.append(comparison)
        verdict = self._scope_verdict(checklist, run)
        if verdict:
            parts.append(verdict)
        steps = next_steps(checklist, run.answers)
        rows: list[tuple[Button, ...]] = []
        if steps:
            lines = [self.catalog.text(lang, "checklist.next_steps")]
            lines += [f"{n}. {item.title}" for n, item in enumerate(steps, start=1)]
            parts.append("\n".join(lines))
            rows += [
                (
                    Button(
                        self.catalog.text(lang, "checklist.how_step", n=n),
                        data=callbacks.encode("ckh", run.run_id, item.key),
                    ),
                )
                for n, item in enumerate(steps, start=1)
            ]
        rows.append(self._report_row(lang, run))
        rows.append((Button(self.catalog.text(lang, "button.menu"), data="m"),))
        reply = Reply("\n\n".join(parts), buttons=tuple(rows))
        return Outcome((reply,), lang, topic="sme_checklist", events=("checklist_finished",))

    async def _comparison(self, lang: str, run: ChecklistRun, score: int) -> str | None:
        before = await self.runs.previous(run.user_id, run.checklist, run.run_id)
        if before is None or before.score is None or before.finished_at is None:
            return None
        when = format_date(
            before.finished_at, format="long", locale=self.catalog.languages[lang].babel_locale
        )
        delta = score - before.score
        key = (
            "checklist.better"
            if delta > 0
            else "checklist.worse"
            if delta < 0
            else "checklist.same"
        )
        return self.catalog.text(lang, key, date=when, before=before.score, delta=abs(delta))

    def _scope_verdict(self, checklist: Checklist, run: ChecklistRun) -> str | None:
        if checklist.scope is None:
            return None
        answers = scope_answers(run.answers)
        verdict = next(v for v in checklist.scope.verdicts if v.matches(answers))
        return verdict.text

    async def _pdf(self, turn: Turn, run_id: int) -> Outcome | None:
        lang = turn.language
        run = await self._own_run(turn, run_id)
        if run is None or run.finished_at is None or run.score is None:
            return None
        checklist = self._checklists(lang)[run.checklist]
        report = await self._report(lang, checklist, run)
        content = await self.renderer.checklist_pdf(report)
        day = run.finished_at.date().isoformat()
        document = Document(
            filename=f"{checklist.id}-{day}.pdf",
            content=content,
            mime_type="application/pdf",
            caption=self.catalog.text(lang, "checklist.pdf_caption", title=checklist.title),
        )
        reply = Reply(self.catalog.text(lang, "checklist.pdf_ready"), document=document)
        return Outcome((reply,), lang, topic="sme_checklist", events=("checklist_pdf",))

    async def _report(self, lang: str, checklist: Checklist, run: ChecklistRun) -> ChecklistReport:
        assert run.finished_at is not None and run.score is not None
        locale = self.catalog.languages[lang].babel_locale
        text = self.catalog.text
        band = checklist.band(run.score)
        comparison = await self._comparison(lang, run, run.score)
        scope = self._scope_verdict(checklist, run)
        sources: dict[str, str] = {}
        for item in checklist.items:
            for source in item.sources:
                sources.setdefault(str(source.url), source.title)
        return ChecklistReport(
            title=checklist.title,
            subtitle=text(
                lang,
                "report.subtitle",
                date=format_date(run.finished_at, format="long", locale=locale),
            ),
            score_line=to_plain(text(lang, "report.score", score=run.score)),
            band=f"{band.label}. {to_plain(band.text)}",
            comparison=to_plain(comparison) if comparison else None,
            scope=to_plain(scope) if scope else None,
            steps_title=text(lang, "report.steps"),
            steps=tuple(
                ReportStep(to_plain(i.title), to_plain(i.how))
                for i in next_steps(checklist, run.answers)
            ),
            items_title=text(lang, "report.items"),
            items=tuple(
                ReportItem(
                    run.answers.get(i.key, "unanswered"),
                    text(lang, f"report.status.{run.answers.get(i.key, 'unanswered')}"),
                    to_plain(i.title),
                )
                for i in checklist.items
            ),
            sources_title=text(lang, "report.sources"),
            sources=tuple((title, url) for url, title in sources.items()),
            footer=text(lang, "report.footer"),
        )

    # --- helpers --------------------------------------------------------------------------

    async def _own_run(self, turn: Turn, run_id: int) -> ChecklistRun | None:
        run = await self.runs.get(run_id)
        if run is None or run.user_id != turn.incoming.user_id:
            return None
        if run.checklist not in self._checklists(turn.language):
            return None
        return run

    def _finished_already(self, lang: str, run: ChecklistRun) -> Reply:
        text = self.catalog.text(lang, "checklist.finished_already")
        return Reply(text, buttons=(self._report_row(lang, run),))

    def _report_row(self, lang: str, run: ChecklistRun) -> tuple[Button, ...]:
        """A finished attempt's buttons: its PDF report, and a new attempt."""
        return (
            Button(
                self.catalog.text(lang, "checklist.pdf"), data=callbacks.encode("ckp", run.run_id)
            ),
            Button(
                self.catalog.text(lang, "checklist.again"),
                data=callbacks.encode("cks", run.checklist),
            ),
        )

    def _remaining(self, checklist: Checklist, run: ChecklistRun) -> int:
        keys = [i.key for i in checklist.items]
        if checklist.scope:
            keys += [SCOPE_PREFIX + q.key for q in checklist.scope.questions]
        return sum(1 for key in keys if key not in run.answers)

    def _progress(self, checklist: Checklist, run: ChecklistRun) -> tuple[int, int]:
        total = question_count(checklist)
        return total - self._remaining(checklist, run) + 1, total

    def _source_lines(self, lang: str, item: ChecklistItem) -> str:
        links = ", ".join(
            f'<a href="{html.escape(str(source.url), quote=True)}">{escape(source.title)}</a>'
            for source in item.sources
        )
        return self.catalog.text(lang, "checklist.sources") + " " + links

    def _checklists(self, lang: str) -> Mapping[str, Checklist]:
        return self.catalog.checklists.get(lang) or {}

    def _checklist(self, lang: str, checklist_id: str) -> Checklist | None:
        return self._checklists(lang).get(checklist_id)

    def _out(self, turn: Turn, reply: Reply) -> Outcome:
        return Outcome((reply,), turn.language, topic="sme_checklist")
