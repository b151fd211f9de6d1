"""Scam alerts in the chat: everyone turns them on or off (/alerts); organisers publish one step
by step (/newalert: language, title, what it looks like, what to do, example messages, source,
another language if they like, a preview, then publish or keep as a draft), list them with
their match counts (/alertlist, with publish, retire and edit buttons), edit one (/editalert N:
a language, then the title, what it looks like, what to do, the examples or the source, each
saved as it is sent) and retire one (/retirealert N). The use cases are
bot.services.alerts.AlertService's, as on the command line.

The wizards' state is a PendingInput (the conversation store), so a restart or another process
continues it; the organiser's role is checked again at every step."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from babel.dates import format_date

from bot.content.catalog import Catalog
from bot.core import alerts as rules
from bot.core import callbacks
from bot.core.alerts import AlertContent, AlertDraft, AlertProblem, AlertStatus, ScamAlert
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import Clock, Conversations, PendingInput, Roles
from bot.core.registry import Registration
from bot.core.roles import NotAllowed, Staff, parse_role
from bot.services.alerts import AlertRefused, AlertService
from bot.services.events import Origin

WIZARD_FLOW = "alert_new"
EDIT_FLOW = "alert_edit"
TOGGLE, WIZARD, LISTED, EDITING = "alt", "aln", "all", "ale"
LIST_LIMIT = 20
# The typed steps of the wizard, in order, with the field each fills and its length limit.
TEXT_STEPS = {"title": rules.TITLE_MAX, "looks_like": rules.TEXT_MAX, "advice": rules.TEXT_MAX}
STEP_ORDER = ("title", "looks_like", "advice", "examples")
# What /editalert changes, one at a time, in the order its buttons are shown.
EDIT_FIELDS = ("title", "looks_like", "advice", "examples", "source")


class AlertNotices:
    """The message the people who opted in get (bot.services.alerts.AlertNotices)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def notice(self, alert: ScamAlert, language: str) -> Reply:
        content = alert.in_language(language)
        text = self.catalog.text
        lines = [
            text(
                language,
                "alerts.notice",
                title=content.title,
                looks_like=content.looks_like,
                advice=content.advice,
                date=self.date(alert, language),
            )
        ]
        if alert.source_url:
            lines.append(text(language, "alerts.notice.source", source=alert.source_url))
        lines.append(text(language, "alerts.notice.off"))
        return Reply("\n".join(lines))

    def date(self, alert: ScamAlert, language: str) -> str:
        if alert.published is None:
            return "—"
        locale = self.catalog.languages[language].babel_locale
        return format_date(alert.published, format="long", locale=locale)


class AlertsFeature:
    def __init__(
        self,
        catalog: Catalog,
        service: AlertService,
        notices: AlertNotices,
        conversations: Conversations,
        roles: Roles,
        clock: Clock,
        admins: frozenset[int] = frozenset(),
    ) -> None:
        self.catalog = catalog
        self.service = service
        self.notices = notices
        self.conversations = conversations
        self.roles = roles
        self.clock = clock
        self.admins = admins

    def registration(self) -> Registration:
        return Registration(
            "alerts",
            commands={
                "alerts": self.status,
                "newalert": self.new_alert,
                "alertlist": self.list_alerts,
                "retirealert": self.retire_command,
                "editalert": self.edit_command,
            },
            actions=frozenset({TOGGLE, WIZARD, LISTED, EDITING}),
            callback=self.callback,
            flows={WIZARD_FLOW: self.wizard_input, EDIT_FLOW: self.edit_input},
        )

    # --- everyone: turning alerts on and off ----------------------------------------------------

    async def status(self, turn: Turn) -> Outcome:
        on = await self.service.opted_in(turn.incoming.user_id)
        return Outcome((self._status_reply(turn.language, on),), turn.language)

    def _status_reply(self, lang: str, on: bool) -> Reply:
        text = self.catalog.text
        button = Button(
            text(lang, "alerts.button.off" if on else "alerts.button.on"),
            data=callbacks.encode(TOGGLE, "off" if on else "on"),
        )
        return Reply(text(lang, "alerts.status.on" if on else "alerts.status.off"), ((button,),))

    # --- organisers: list, publish a draft, retire ----------------------------------------------

    async def is_organiser(self, user_id: int) -> bool:
        return user_id in self.admins or await self.roles.is_organiser(user_id)

    def _refused(self, turn: Turn) -> Outcome:
        reply = Reply(self.catalog.text(turn.language, "error.organisers_only"))
        return Outcome((reply,), turn.language)

    async def _origin(self, turn: Turn) -> Origin:
        """Who acts, with their role: the service refuses a viewer, or an organiser scoped to
        regions (an alert belongs to none), with NotAllowed."""
        user = turn.incoming.user_id
        if user in self.admins:
            staff: Staff | None = Staff(user, "admin", frozenset(), turn.language)
        else:
            record = await self.roles.staff_member(user)
            staff = (
                None
                if record is None
                else Staff(user, parse_role(record.role), record.regions, turn.language)
            )
        return Origin(user, {"via": "chat"}, staff=staff)

    async def list_alerts(self, turn: Turn) -> Outcome:
        if not await self.is_organiser(turn.incoming.user_id):
            return self._refused(turn)
        lang, text = turn.language, self.catalog.text
        alerts = (await self.service.find())[:LIST_LIMIT]
        if not alerts:
            return Outcome((Reply(text(lang, "alerts.list.empty")),), lang)
        lines = [text(lang, "alerts.list.title")]
        buttons: list[tuple[Button, ...]] = []
        for alert in alerts:
            lines.append(
                text(
                    lang,
                    "alerts.list.item",
                    id=alert.id,
                    status=text(lang, f"alerts.state.{alert.status.value}"),
                    date=self.notices.date(alert, lang),
                    title=alert.in_language(lang).title,
                    matches=alert.matches,
                )
            )
            if alert.status is AlertStatus.RETIRED:
                continue
            edit = Button(
                text(lang, "alerts.button.edit_id", id=alert.id),
                data=callbacks.encode(LISTED, "edit", alert.id),
            )
            if alert.status is AlertStatus.DRAFT:
                label = text(lang, "alerts.button.publish_id", id=alert.id)
                pub = Button(label, data=callbacks.encode(LISTED, "pub", alert.id))
                buttons.append((pub, edit))
            else:
                label = text(lang, "alerts.button.retire", id=alert.id)
                ret = Button(label, data=callbacks.encode(LISTED, "ret", alert.id))
                buttons.append((ret, edit))
        return Outcome((Reply("\n".join(lines), tuple(buttons)),), lang)

    async def retire_command(self, turn: Turn) -> Outcome:
        if not await self.is_organiser(turn.incoming.user_id):
            return self._refused(turn)
        number = _number(turn.incoming.args)
        if number is None:
            return self._say(turn.language, "alerts.retire_usage")
        return await self._retire(turn, number)

    async def _retire(self, turn: Turn, alert_id: int) -> Outcome:
        lang = turn.language
        try:
            retired = await self.service.retire(
                alert_id, await self._origin(turn), self.clock.now()
            )
        except NotAllowed:
            return self._refused(turn)
        key = "alerts.retired" if retired is not None else "alerts.not_found"
        return Outcome((Reply(self.catalog.text(lang, key, id=alert_id)),), lang)

    async def _publish(self, turn: Turn, alert_id: int) -> Outcome:
        lang = turn.language
        try:
            published = await self.service.publish(
                alert_id, await self._origin(turn), self.clock.now()
            )
        except NotAllowed:
            return self._refused(turn)
        if published is None:
            return Outcome((Reply(self.catalog.text(lang, "alerts.not_found", id=alert_id)),), lang)
        return self._published(lang, published)

    def _published(self, lang: str, alert: ScamAlert) -> Outcome:
        text = self.catalog.text(
            lang, "alerts.published", id=alert.id, date=self.notices.date(alert, lang)
        )
        return Outcome((Reply(text),), lang, events=("alert_published",))

    # --- buttons ----------------------------------------------------------------------------------

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        user = turn.incoming.user_id
        match data.action, data.args:
            case "alt", (("on" | "off") as choice,):
                on = choice == "on"
                await self.service.set_opt_in(user, on, self.clock.now())
                event = "alerts_on" if on else "alerts_off"
                return Outcome(
                    (self._status_reply(turn.language, on),), turn.language, events=(event,)
                )
            case "all", (("pub" | "ret" | "edit") as what, number) if number.isdigit():
                if not await self.is_organiser(user):
                    return self._refused(turn)
                if what == "pub":
                    return await self._publish(turn, int(number))
                if what == "edit":
                    return await self._edit_start(turn, int(number))
                return await self._retire(turn, int(number))
            case ("ale" | "aln") as prefix, (step, *rest):
                if not await self.is_organiser(user):
                    await self.conversations.clear(user)
                    return self._refused(turn)
                flow = EDIT_FLOW if prefix == "ale" else WIZARD_FLOW
                pending = await self.conversations.get(user)
                if pending is None or pending.flow != flow:
                    return None  # a button of an edit or a wizard that is over
                if flow == EDIT_FLOW:
                    return await self._edit_button(turn, dict(pending.data), step, tuple(rest))
                return await self._wizard_button(turn, pending, step, tuple(rest))
        return None

    # --- the wizard -------------------------------------------------------------------------------

    async def new_alert(self, turn: Turn) -> Outcome:
        if not await self.is_organiser(turn.incoming.user_id):
            return self._refused(turn)
        state = {"step": "language", "content": "{}", "default": "", "source": ""}
        return await self._ask(turn, state, "alerts.new.language")

    async def wizard_input(self, turn: Turn, pending: PendingInput, typed: str) -> Outcome | None:
        user = turn.incoming.user_id
        if not await self.is_organiser(user):
            await self.conversations.clear(user)
            return self._refused(turn)
        state = dict(pending.data)
        step, lang = state["step"], turn.language
        value = typed.strip()
        if step in ("language", "confirm"):
            return None  # the bot waits for a button: the text is read as a new message
        if not value:
            return self._say(lang, "alerts.empty")
        if step in TEXT_STEPS or step == "examples":
            limit = TEXT_STEPS.get(step, rules.EXAMPLE_MAX)
            if len(value) > limit:
                return self._say(lang, "alerts.too_long", length=len(value), max=limit)
        content = _load(state)
        current = content.setdefault(state["language"], _empty())
        if step in TEXT_STEPS:
            current[step] = value
            state["content"] = json.dumps(content)
            return await self._next(turn, state, step)
        if step == "examples":
            if len(current["examples"]) >= rules.EXAMPLES_MAX:
                return self._say(lang, "alerts.too_many_examples")
            current["examples"].append(value)
            state["content"] = json.dumps(content)
            await self._save(user, state)
            done = Button(self.catalog.text(lang, "alerts.button.done"), data=_wizard("done"))
            saved = self.catalog.text(lang, "alerts.example_saved", number=len(current["examples"]))
            return Outcome((Reply(saved, ((done,),)),), lang)
        if step == "source":
            if not rules.SOURCE_URL.match(value):
                return self._say(lang, "alerts.bad_url")
            state["source"] = value
            return await self._preview(turn, state)
        return None

    async def _wizard_button(
        self, turn: Turn, pending: PendingInput, step: str, args: tuple[str, ...]
    ) -> Outcome | None:
        state, lang, user = dict(pending.data), turn.language, turn.incoming.user_id
        match step, args, state["step"]:
            case "lang", (code,), "language" if code in self.catalog.languages:
                state["language"] = code
                state["default"] = state["default"] or code
                return await self._next(turn, state, None)
            case "done", (), "examples":
                if not _load(state).get(state["language"], _empty())["examples"]:
                    return self._say(lang, "alerts.need_example")
                state["step"] = "source"
                skip = Button(self.catalog.text(lang, "alerts.button.skip"), data=_wizard("skip"))
                await self._save(user, state)
                return Outcome(
                    (Reply(self.catalog.text(lang, "alerts.ask.source"), ((skip,),)),), lang
                )
            case "skip", (), "source":
                state["source"] = ""
                return await self._preview(turn, state)
            case "more", (), "confirm":
                state["step"] = "language"
                return await self._ask(turn, state, "alerts.new.other_language")
            case ("pub" | "draft") as what, (), "confirm":
                await self.conversations.clear(user)
                return await self._create(turn, state, publish=what == "pub")
            case "x", (), _:
                await self.conversations.clear(user)
                return self._say(lang, "alerts.cancelled")
        return None

    async def _ask(self, turn: Turn, state: dict[str, str], key: str) -> Outcome:
        """Ask for the language of the next set of texts (those not written yet)."""
        lang = turn.language
        written = set(_load(state))
        buttons = tuple(
            (Button(meta.native_name, data=_wizard("lang", code)),)
            for code, meta in self.catalog.languages.items()
            if code not in written
        )
        cancel = Button(self.catalog.text(lang, "alerts.button.cancel"), data=_wizard("x"))
        state["step"] = "language"
        await self._save(turn.incoming.user_id, state)
        return Outcome((Reply(self.catalog.text(lang, key), (*buttons, (cancel,))),), lang)

    async def _next(self, turn: Turn, state: dict[str, str], after: str | None) -> Outcome:
        """Ask the step after `after` (the first one when None)."""
        lang = turn.language
        step = STEP_ORDER[0] if after is None else STEP_ORDER[STEP_ORDER.index(after) + 1]
        state["step"] = step
        await self._save(turn.incoming.user_id, state)
        language = self.catalog.languages[state["language"]].native_name
        limit = TEXT_STEPS.get(step, rules.EXAMPLES_MAX)
        question = self.catalog.text(lang, f"alerts.ask.{step}", language=language, max=limit)
        return Outcome((Reply(question),), lang)

    async def _preview(self, turn: Turn, state: dict[str, str]) -> Outcome:
        lang, text = turn.language, self.catalog.text
        state["step"] = "confirm"
        await self._save(turn.incoming.user_id, state)
        draft = _draft(state)
        sample = ScamAlert(0, draft.content, draft.default_language, draft.source_url)
        shown = lang if lang in draft.content else draft.default_language
        names = ", ".join(self.catalog.languages[code].native_name for code in draft.content)
        examples = sum(len(content.examples) for content in draft.content.values())
        summary = text(lang, "alerts.preview.summary", languages=names, examples=examples)
        header = text(lang, "alerts.preview", language=self.catalog.languages[shown].native_name)
        rows: list[tuple[Button, ...]] = [
            (Button(text(lang, "alerts.button.publish"), data=_wizard("pub")),),
            (Button(text(lang, "alerts.button.draft"), data=_wizard("draft")),),
        ]
        if len(draft.content) < len(self.catalog.languages):
            rows.append((Button(text(lang, "alerts.button.add_language"), data=_wizard("more")),))
        rows.append((Button(text(lang, "alerts.button.cancel"), data=_wizard("x")),))
        notice = self.notices.notice(sample, shown).text
        return Outcome((Reply(header), Reply(notice), Reply(summary, tuple(rows))), lang)

    async def _create(self, turn: Turn, state: dict[str, str], publish: bool) -> Outcome:
        lang = turn.language
        try:
            alert = await self.service.create(
                _draft(state), await self._origin(turn), self.clock.now(), publish=publish
            )
        except NotAllowed:
            return self._refused(turn)
        except AlertRefused as refused:
            return Outcome((Reply(problem_text(self.catalog, lang, refused.problem)),), lang)
        if publish:
            return self._published(lang, alert)
        return self._say(lang, "alerts.drafted", id=alert.id)

    async def _save(self, user_id: int, state: dict[str, str]) -> None:
        await self.conversations.set(user_id, PendingInput(WIZARD_FLOW, state), self.clock.now())

    def _say(self, lang: str, key: str, **values: object) -> Outcome:
        return Outcome((Reply(self.catalog.text(lang, key, **values)),), lang)

    # --- editing --------------------------------------------------------------------------------

    async def edit_command(self, turn: Turn) -> Outcome:
        if not await self.is_organiser(turn.incoming.user_id):
            return self._refused(turn)
        number = _number(turn.incoming.args)
        if number is None:
            return self._say(turn.language, "alerts.edit.usage")
        return await self._edit_start(turn, number)

    async def _editable(self, alert_id: int) -> ScamAlert | None:
        alert = await self.service.get(alert_id)
        return None if alert is None or alert.status is AlertStatus.RETIRED else alert

    async def _edit_start(self, turn: Turn, alert_id: int) -> Outcome:
        """Which language's texts to change (one the alert lacks is added)."""
        lang, text = turn.language, self.catalog.text
        if await self._editable(alert_id) is None:
            return self._say(lang, "alerts.not_found", id=alert_id)
        await self._save_edit(turn.incoming.user_id, {"id": str(alert_id), "step": "language"})
        buttons = tuple(
            (Button(meta.native_name, data=_editing("lang", code)),)
            for code, meta in self.catalog.languages.items()
        )
        cancel = Button(text(lang, "alerts.button.cancel"), data=_editing("x"))
        reply = Reply(text(lang, "alerts.edit.language", id=alert_id), (*buttons, (cancel,)))
        return Outcome((reply,), lang)

    async def _edit_menu(
        self, turn: Turn, state: dict[str, str], alert: ScamAlert, said: tuple[Reply, ...] = ()
    ) -> Outcome:
        """What the alert says now in the chosen language, and a button per thing to change."""
        lang, text = turn.language, self.catalog.text
        state["step"] = "menu"
        await self._save_edit(turn.incoming.user_id, state)
        language = state["language"]
        content = alert.content.get(language, AlertContent("", "", ""))
        current = text(
            lang,
            "alerts.edit.current",
            id=alert.id,
            language=self.catalog.languages[language].native_name,
            title=content.title or "—",
            looks_like=content.looks_like or "—",
            advice=content.advice or "—",
            examples=len(content.examples),
            source=alert.source_url or "—",
        )
        rows = [
            (Button(text(lang, f"alerts.edit.button.{name}"), data=_editing("f", name)),)
            for name in EDIT_FIELDS
        ]
        rows.append((Button(text(lang, "alerts.edit.button.finish"), data=_editing("end")),))
        return Outcome((*said, Reply(current, tuple(rows))), lang)

    async def _edit_button(
        self, turn: Turn, state: dict[str, str], step: str, args: tuple[str, ...]
    ) -> Outcome | None:
        lang, user, text = turn.language, turn.incoming.user_id, self.catalog.text
        alert = await self._editable(int(state["id"]))
        if alert is None:
            await self.conversations.clear(user)
            return self._say(lang, "alerts.not_found", id=state["id"])
        match step, args, state["step"]:
            case "lang", (code,), "language" if code in self.catalog.languages:
                state["language"] = code
                return await self._edit_menu(turn, state, alert)
            case "f", (name,), "menu" if name in EDIT_FIELDS:
                state["step"] = name
                language = self.catalog.languages[state["language"]].native_name
                back = Button(text(lang, "alerts.edit.button.back"), data=_editing("back"))
                rows: tuple[tuple[Button, ...], ...] = ((back,),)
                if name == "examples":
                    state["examples"] = "[]"
                    key, limit = "alerts.edit.ask_examples", rules.EXAMPLES_MAX
                elif name == "source":
                    remove = Button(text(lang, "alerts.edit.button.no_source"), data=_editing("rm"))
                    rows = ((remove,), (back,))
                    key, limit = "alerts.edit.ask_source", 0
                else:
                    key, limit = f"alerts.ask.{name}", TEXT_STEPS[name]
                await self._save_edit(user, state)
                question = text(lang, key, language=language, max=limit)
                return Outcome((Reply(question, rows),), lang)
            case "done", (), "examples":
                examples = json.loads(state.get("examples") or "[]")
                if not examples:
                    return self._say(lang, "alerts.need_example")
                return await self._edit_save(turn, state, alert, examples=examples)
            case "rm", (), "source":
                return await self._edit_save(turn, state, alert, source_url="")
            case "back", (), _ if state["step"] in EDIT_FIELDS:
                return await self._edit_menu(turn, state, alert)
            case "end", (), "menu":
                await self.conversations.clear(user)
                return self._say(lang, "alerts.edit.finished", id=alert.id)
            case "x", (), _:
                await self.conversations.clear(user)
                return self._say(lang, "alerts.edit.cancelled")
        return None

    async def edit_input(self, turn: Turn, pending: PendingInput, typed: str) -> Outcome | None:
        """The new text of the field being changed (or one more example)."""
        user, lang = turn.incoming.user_id, turn.language
        if not await self.is_organiser(user):
            await self.conversations.clear(user)
            return self._refused(turn)
        state = dict(pending.data)
        step, value = state["step"], typed.strip()
        if step not in EDIT_FIELDS:
            return None  # the bot waits for a button: the text is read as a new message
        if not value:
            return self._say(lang, "alerts.empty")
        alert = await self._editable(int(state["id"]))
        if alert is None:
            await self.conversations.clear(user)
            return self._say(lang, "alerts.not_found", id=state["id"])
        if step == "source":
            if not rules.SOURCE_URL.match(value):
                return self._say(lang, "alerts.edit.bad_url")
            return await self._edit_save(turn, state, alert, source_url=value)
        limit = TEXT_STEPS.get(step, rules.EXAMPLE_MAX)
        if len(value) > limit:
            return self._say(lang, "alerts.too_long", length=len(value), max=limit)
        if step == "examples":
            examples = json.loads(state.get("examples") or "[]")
            if len(examples) >= rules.EXAMPLES_MAX:
                return self._say(lang, "alerts.too_many_examples")
            examples.append(value)
            state["examples"] = json.dumps(examples)
            await self._save_edit(user, state)
            done = Button(self.catalog.text(lang, "alerts.button.done"), data=_editing("done"))
            saved = self.catalog.text(lang, "alerts.example_saved", number=len(examples))
            return Outcome((Reply(saved, ((done,),)),), lang)
        return await self._edit_save(turn, state, alert, **{step: value})

    async def _edit_save(
        self,
        turn: Turn,
        state: dict[str, str],
        alert: ScamAlert,
        **change: Any,
    ) -> Outcome:
        """Save one change through the service (audited); back to the menu, or say why not."""
        lang, user = turn.language, turn.incoming.user_id
        draft = rules.changed(alert.draft, state["language"], **change)
        try:
            edited = await self.service.edit(
                alert.id, draft, await self._origin(turn), self.clock.now()
            )
        except NotAllowed:
            await self.conversations.clear(user)
            return self._refused(turn)
        except AlertRefused as refused:
            problem = Reply(problem_text(self.catalog, lang, refused.problem))
            return await self._edit_menu(turn, state, alert, (problem,))
        if edited is None:
            await self.conversations.clear(user)
            return self._say(lang, "alerts.not_found", id=alert.id)
        saved = Reply(self.catalog.text(lang, "alerts.edit.saved", id=alert.id))
        outcome = await self._edit_menu(turn, state, edited, (saved,))
        return Outcome(outcome.replies, lang, events=("alert_edited",))

    async def _save_edit(self, user_id: int, state: dict[str, str]) -> None:
        await self.conversations.set(user_id, PendingInput(EDIT_FLOW, state), self.clock.now())


def _number(args: tuple[str, ...]) -> int | None:
    """The alert's number in a command's arguments (3, #3 or №3), or None."""
    if len(args) != 1 or not args[0].lstrip("#№").isdigit():
        return None
    return int(args[0].lstrip("#№"))


def _editing(step: str, *args: str) -> str:
    return callbacks.encode(EDITING, step, *args)


def problem_text(catalog: Catalog, lang: str, problem: AlertProblem) -> str:
    """Why an alert was refused, in `lang` (the chat and the command line)."""
    field = catalog.text(lang, f"alerts.field.{problem.field}") if problem.field else ""
    return catalog.text(
        lang, f"alerts.problem.{problem.code}", field=field, language=problem.language
    )


def _wizard(step: str, *args: str) -> str:
    return callbacks.encode(WIZARD, step, *args)


def _empty() -> dict[str, Any]:
    return {"title": "", "looks_like": "", "advice": "", "examples": []}


def _load(state: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    content: dict[str, dict[str, Any]] = json.loads(state.get("content") or "{}")
    return content


def _draft(state: Mapping[str, str]) -> AlertDraft:
    content = {
        language: AlertContent(
            str(text["title"]),
            str(text["looks_like"]),
            str(text["advice"]),
            tuple(str(example) for example in text["examples"]),
        )
        for language, text in _load(state).items()
    }
    return AlertDraft(content, state["default"], state.get("source", ""))
