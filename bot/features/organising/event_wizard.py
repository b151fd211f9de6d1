"""/newevent and /editevent: a guided conversation, one field at a time, each answer checked
at once against the limits check_draft holds, a preview as users will see it, then saved
through the event service; /cancelevent after a confirmation.

The answers so far live in the conversation store (PendingInput), so a restart or another
process continues the wizard; every button names the step it answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from bot.core import callbacks
from bot.core.announcements import BUTTON_URL
from bot.core.events import (
    EVENT_AUDIENCES,
    LENGTHS,
    EventDraft,
    EventText,
    Problem,
    check_draft,
    valid_zone,
)
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import (
    EventRecord,
    Events,
    EventStatus,
    PendingInput,
)
from bot.features.event_list import EventsFeature
from bot.features.organising.event_steps import PREVIEW, EventForm, Step, event_steps
from bot.features.organising.kit import LEAVE, WHEN, Kit, parse_when
from bot.services.events import EventService

URL = BUTTON_URL  # event links: https, like announcement buttons
# The buttons of the wizard (the steps' choices, keep/skip, save) and of /cancelevent.
ACTIONS = frozenset({"nk", "nz", "nr", "na", "nsave", "ecx"})


class EventWizard:
    def __init__(
        self, kit: Kit, events: Events, event_list: EventsFeature, service: EventService
    ) -> None:
        self.kit = kit
        self.catalog, self.clock, self.conversations = kit.catalog, kit.clock, kit.conversations
        self.events = events
        self.event_list = event_list  # its event card is the preview
        self.service = service
        self.steps = {step.name: step for step in event_steps(self.catalog.languages)}

    @property
    def event_steps(self) -> list[str]:
        """The names of the steps, in the order they are asked."""
        return list(self.steps)

    async def command(self, turn: Turn, name: str) -> Outcome:
        """/newevent, /editevent ID, /cancelevent ID (the role is checked by the feature)."""
        if name == "newevent":
            return await self._start_event(turn, None)
        arg = turn.incoming.args[0] if turn.incoming.args else ""
        event = await self.events.get(int(arg)) if arg.isdigit() else None
        if event is None:
            return self.kit.say(turn, "org.no_such_event")
        if name == "editevent":
            return await self._start_event(turn, event)
        return self._confirm_cancel(turn, event)

    async def button(
        self, turn: Turn, data: callbacks.Callback, pending: PendingInput | None
    ) -> Outcome | None:
        if data.action == "ecx" and len(data.args) == 1 and data.args[0].isdigit():
            return await self._cancel_event(turn, int(data.args[0]))
        form = EventForm.of(pending) if pending is not None else None
        if form is None:
            return None
        return await self._event_button(turn, data, form)

    def _when(self, value: str, data: Mapping[str, str], step: str) -> dt.datetime | None:
        zone_name = data.get("timezone", "")
        if not valid_zone(zone_name):
            return None
        day_of = None
        if step == "end" and WHEN.match(data.get("start", "")):
            day_of = parse_when(data["start"], ZoneInfo(zone_name))
        return parse_when(value, ZoneInfo(zone_name), day_of)

    async def _start_event(self, turn: Turn, event: EventRecord | None) -> Outcome:
        form = EventForm(self.event_steps[0])
        if event is not None:
            form = EventForm(form.step, self._fields_of(event.draft), event.id)
        await self.conversations.set(turn.incoming.user_id, form.pending(), self.clock.now())
        intro = self.catalog.text(turn.language, "org.edit_intro" if event else "org.new_intro")
        return Outcome((Reply(intro), self._event_prompt(turn.language, form)), turn.language)

    def _fields_of(self, draft: EventDraft) -> dict[str, str]:
        zone = ZoneInfo(draft.timezone)
        fields = {
            "key": draft.key,
            "timezone": draft.timezone,
            "start": draft.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "end": draft.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "place": draft.place or "",
            "online_url": draft.online_url or "",
            "region": draft.region,
            "audience": draft.audience,
            "organiser": draft.organiser,
            "link": draft.link or "",
            "country": draft.country,
        }
        for lang, text in draft.texts.items():
            fields[f"title_{lang}"], fields[f"description_{lang}"] = text.title, text.description
        return fields

    def _event_prompt(self, lang: str, form: EventForm) -> Reply:
        step = form.step
        # The preview is no question of the table: a text typed there is refused with its prompt.
        asked = self.steps.get(step) or Step(step, step)
        text = self.catalog.text
        if asked.language is not None:
            name = self.catalog.languages[asked.language].native_name
            prompt = text(lang, f"org.ask_{asked.field}", language=name)
        else:
            prompt = text(lang, f"org.ask_{asked.field}")
        rows: list[tuple[Button, ...]] = []
        if asked.choices == "nz":
            zones = self.catalog.timezones
            buttons = [
                Button(z.split("/")[-1].replace("_", " "), data=callbacks.encode("nz", i))
                for i, z in enumerate(zones)
            ]
            rows += [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
        elif asked.choices == "nr":
            buttons = [
                Button(name, data=callbacks.encode("nr", key))
                for key, name in self.catalog.region_names(lang)
            ]
            rows += [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
        elif asked.choices == "na":
            rows.append(
                tuple(
                    Button(text(lang, f"events.audience.{a}"), data=callbacks.encode("na", a))
                    for a in EVENT_AUDIENCES
                )
            )
        current = form.answers.get(step)
        if current:
            prompt += "\n\n" + text(lang, "org.current", value=current[:300])
            rows.append((Button(text(lang, "org.keep"), data=callbacks.encode("nk", step)),))
        elif asked.optional:
            rows.append((Button(text(lang, "org.skip"), data=callbacks.encode("nk", step)),))
        rows.append(self.kit.cancel_row(lang)[0])
        return Reply(prompt, buttons=tuple(rows))

    async def event_input(self, turn: Turn, pending: PendingInput, text: str) -> Outcome:
        form = EventForm.of(pending)
        if form is None:  # not the wizard's state (an older build's): the question is dropped
            await self.conversations.clear(turn.incoming.user_id)
            return self.kit.say(turn, "error.stale_button")
        problem = self._accept(form.step, text.strip(), form.answers)
        if problem is not None:
            reply = Reply(self.kit.problem_text(turn.language, problem))
            return Outcome((reply, self._event_prompt(turn.language, form)), turn.language)
        return await self._next_event_step(turn, form)

    def _accept(self, step: str, value: str, data: dict[str, str]) -> Problem | None:
        """Check one typed answer and store it; the problem when it cannot be taken."""
        asked = self.steps.get(step)
        field = asked.field if asked is not None else ""
        now = self.clock.now()
        if field in ("title", "description"):
            length = LENGTHS[field]
            if not length.least <= len(value) <= length.most:
                return Problem(f"{field}_length", {"max": str(length.most)})
        elif field == "timezone":
            if not valid_zone(value):
                return Problem("unknown_timezone", {"zone": value[:64]})
        elif field in ("start", "end"):
            parsed = self._when(value, data, step)
            if parsed is None:
                return Problem("bad_time")
            if step == "start" and parsed <= now:
                return Problem("start_in_past")
            if step == "end":
                start = self._when(data.get("start", ""), data, "start")
                if start is not None and parsed <= start:
                    return Problem("end_before_start")
            value = parsed.strftime("%Y-%m-%d %H:%M")
        elif field in ("online_url", "link"):
            if not URL.match(value):
                return Problem("bad_url", {"field": step})
        elif field in ("place", "organiser"):
            length = LENGTHS[field]
            if not length.least <= len(value) <= length.most:
                return Problem("too_long", {"field": step, "max": str(length.most)})
        elif field == "region":
            if value not in self.catalog.regions:
                return Problem("unknown_region", {"region": value[:60]})
        elif field == "audience":
            if value not in EVENT_AUDIENCES:
                return Problem("bad_audience", {"audience": value[:20]})
        else:
            return Problem("bad_step")
        data[step] = value
        return None

    async def _next_event_step(self, turn: Turn, form: EventForm) -> Outcome:
        steps = self.event_steps
        index = steps.index(form.step) + 1
        form.step = steps[index] if index < len(steps) else PREVIEW
        await self.conversations.set(turn.incoming.user_id, form.pending(), self.clock.now())
        if form.step != PREVIEW:
            return Outcome((self._event_prompt(turn.language, form),), turn.language)
        return self._event_preview(turn, form.answers)

    def _draft(self, data: Mapping[str, str], user: int) -> EventDraft:
        zone = (
            ZoneInfo(data["timezone"]) if valid_zone(data.get("timezone", "")) else ZoneInfo("UTC")
        )
        start = self._when(data.get("start", ""), data, "start") or dt.datetime.min.replace(
            tzinfo=zone
        )
        end = self._when(data.get("end", ""), data, "end") or start
        now = self.clock.now()
        key = data.get("key") or f"tg-{now:%Y%m%d%H%M%S}-{user}"
        return EventDraft(
            key=key,
            texts={
                lang: EventText(data.get(f"title_{lang}", ""), data.get(f"description_{lang}", ""))
                for lang in self.catalog.languages
                if data.get(f"title_{lang}")
            },
            start=start,
            end=end,
            timezone=data.get("timezone", ""),
            region=data.get("region", ""),
            country=data.get("country")
            or ("EU" if data.get("region") in ("eu", "online", "brussels") else "BG"),
            audience=data.get("audience", ""),
            organiser=data.get("organiser", ""),
            place=data.get("place") or None,
            online_url=data.get("online_url") or None,
            link=data.get("link") or None,
        )

    def _event_preview(self, turn: Turn, data: Mapping[str, str]) -> Outcome:
        lang = turn.language
        draft = self._draft(data, turn.incoming.user_id)
        problems = check_draft(
            draft, self.clock.now(), self.catalog.languages, self.catalog.regions
        )
        card = self.event_list.card_text(
            lang, EventRecord(0, draft, EventStatus.ACTIVE, 0), ZoneInfo(draft.timezone or "UTC")
        )
        header = self.catalog.text(lang, "org.preview")
        if problems:
            lines = [self.catalog.text(lang, "org.problems")] + [
                "• " + self.kit.problem_text(lang, p) for p in problems
            ]
            return Outcome(
                (
                    Reply(header + "\n\n" + card),
                    Reply("\n".join(lines), buttons=self.kit.cancel_row(lang)),
                ),
                lang,
            )
        buttons = (
            (
                Button(self.catalog.text(lang, "org.save"), data="nsave"),
                Button(self.catalog.text(lang, "org.cancel"), data=LEAVE),
            ),
        )
        return Outcome((Reply(header + "\n\n" + card, buttons=buttons),), lang)

    async def _save_event(self, turn: Turn, data: Mapping[str, str]) -> Outcome:
        lang, user = turn.language, turn.incoming.user_id
        now = self.clock.now()
        draft = self._draft(data, user)
        problems = check_draft(draft, now, self.catalog.languages, self.catalog.regions)
        if problems:
            return self._event_preview(turn, data)
        saved = await self.service.save(draft, await self.kit.origin(turn), now)
        await self.conversations.clear(user)
        event, told = saved.event, saved.told
        text = self.catalog.plural(lang, "org.saved", told, id=event.id)
        buttons = (
            (
                Button(
                    self.catalog.text(lang, "events.details"), data=callbacks.encode("ev", event.id)
                ),
            ),
        )
        return Outcome((Reply(text, buttons=buttons),), lang, events=("event_saved",))

    def _confirm_cancel(self, turn: Turn, event: EventRecord) -> Outcome:
        lang = turn.language
        title = event.draft.text_in(lang, self.catalog.default_language).title
        buttons = (
            (
                Button(
                    self.catalog.text(lang, "org.cancel_event_yes"),
                    data=callbacks.encode("ecx", event.id),
                ),
                Button(self.catalog.text(lang, "org.cancel_event_no"), data=LEAVE),
            ),
        )
        return Outcome(
            (
                Reply(
                    self.catalog.text(lang, "org.cancel_event_confirm", title=title),
                    buttons=buttons,
                ),
            ),
            lang,
        )

    async def _cancel_event(self, turn: Turn, event_id: int) -> Outcome | None:
        cancelled = await self.service.cancel(
            event_id, await self.kit.origin(turn), self.clock.now()
        )
        if cancelled is None:
            return None
        return self.kit.say_counted(turn, "org.event_cancelled", cancelled.told)

    async def _event_button(
        self, turn: Turn, data: callbacks.Callback, form: EventForm
    ) -> Outcome | None:
        step, answers = form.step, form.answers
        match data.action, data.args:
            case "nk", (name,) if name == step and (
                answers.get(name) or (name in self.steps and self.steps[name].optional)
            ):
                return await self._next_event_step(turn, form)
            case "nz", (index,) if (
                step == "timezone" and index.isdigit() and int(index) < len(self.catalog.timezones)
            ):
                answers["timezone"] = self.catalog.timezones[int(index)]
                return await self._next_event_step(turn, form)
            case "nr", (region,) if step == "region" and region in self.catalog.regions:
                answers["region"] = region
                return await self._next_event_step(turn, form)
            case "na", (audience,) if step == "audience" and audience in EVENT_AUDIENCES:
                answers["audience"] = audience
                return await self._next_event_step(turn, form)
            case "nsave", () if step == PREVIEW:
                return await self._save_event(turn, answers)
        return None
