"""/announce: the text, an optional link button (both checked by bot.core.announcements), the
audience, a preview as recipients will see it, then send now or schedule, and confirm; and
/broadcasts: what each announcement has done so far, with a cancel button.

The steps and what answers each are the table of `states` (announce_steps.py holds the state)."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.core import callbacks
from bot.core.announcements import BUTTON_LABEL_MAX, check_text, parse_button
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.outbox_refs import announcement_ref
from bot.core.outbox_status import WAITING, Status
from bot.core.ports import (
    Audience,
    Broadcasts,
    BroadcastStatus,
    Deliveries,
    EventFilter,
    Events,
    PendingInput,
)
from bot.features.organising.announce_steps import (
    SEGMENTS,
    Answers,
    Draft,
    Step,
    actions_of,
)
from bot.features.organising.kit import LEAVE, Kit, parse_when
from bot.services.announcements import AnnouncementService


class AnnounceWizard:
    def __init__(
        self,
        kit: Kit,
        broadcasts: Broadcasts,
        deliveries: Deliveries,
        events: Events,
        service: AnnouncementService,
        zone: ZoneInfo,
    ) -> None:
        self.kit = kit
        self.catalog, self.clock, self.conversations = kit.catalog, kit.clock, kit.conversations
        self.broadcasts = broadcasts
        self.deliveries = deliveries  # what each announcement's messages have become
        self.events = events  # to announce to the people who asked about one
        self.service = service
        # Like `ecsm-bot broadcast --at`: a time typed is in DEFAULT_TIMEZONE, the campaign's.
        self.zone = zone
        self.states: dict[Step, Answers] = {
            Step.TEXT: Answers(typed=self._take_text),
            Step.BUTTON: Answers(typed=self._take_button, buttons={"ab": self._no_button}),
            Step.AUDIENCE: Answers(
                buttons={
                    "aa": self._segment,
                    "al": self._language,
                    "ar": self._regions,
                    "aar": self._region,
                    "ae": self._events,
                    "aae": self._event,
                }
            ),
            Step.PREVIEW: Answers(buttons={"as": self._now, "ash": self._later}),
            Step.WHEN: Answers(typed=self._take_when),
            Step.CONFIRM: Answers(buttons={"asy": self._send}),
        }
        # The cancel buttons of /broadcasts answer no step.
        self.actions = actions_of(self.states) | {"bx"}

    # --- the table's driver -----------------------------------------------------------------

    async def start(self, turn: Turn) -> Outcome:
        await self._ask(turn, Draft())
        return self.kit.say(turn, "ann.ask_text", buttons=self.kit.cancel_row(turn.language))

    async def typed(self, turn: Turn, pending: PendingInput, text: str) -> Outcome:
        draft = Draft.of(pending)
        answers = self.states[draft.step] if draft is not None else Answers()
        if draft is None or answers.typed is None:
            await self.conversations.clear(turn.incoming.user_id)
            return self.kit.say(turn, "error.stale_button")
        return await answers.typed(turn, draft, text)

    async def button(
        self, turn: Turn, data: callbacks.Callback, pending: PendingInput | None
    ) -> Outcome | None:
        if data.action == "bx":
            return await self._cancel(turn, data.args)
        draft = Draft.of(pending) if pending is not None else None
        if draft is None:
            return None
        answer = self.states[draft.step].buttons.get(data.action)
        return await answer(turn, draft, data.args) if answer is not None else None

    async def _ask(self, turn: Turn, draft: Draft) -> None:
        await self.conversations.set(turn.incoming.user_id, draft.pending(), self.clock.now())

    # --- typed answers ----------------------------------------------------------------------

    async def _take_text(self, turn: Turn, draft: Draft, text: str) -> Outcome:
        lang = turn.language
        body = (turn.incoming.html or text).strip()
        problem = check_text(body)
        if problem is not None and problem.code == "markup":
            return self.kit.say(
                turn, "ann.bad_html", reason=problem.detail, buttons=self.kit.cancel_row(lang)
            )
        if problem is not None and problem.code == "too_long":
            return self.kit.say_counted(
                turn,
                "ann.too_long",
                problem.length,
                limit=self.catalog.number(lang, problem.limit),
                buttons=self.kit.cancel_row(lang),
            )
        if problem is not None:  # nothing to announce
            return self.kit.say(turn, "error.unsupported_message")
        await self._ask(turn, replace(draft, step=Step.BUTTON, text=body))
        return self.kit.say(
            turn,
            "ann.ask_button",
            buttons=(
                (Button(self.catalog.text(lang, "org.skip"), data="ab"),),
                self.kit.cancel_row(lang)[0],
            ),
        )

    async def _take_button(self, turn: Turn, draft: Draft, text: str) -> Outcome:
        button = parse_button(text)
        if button is None or button.url is None:
            return self.kit.say_counted(
                turn, "ann.bad_button", BUTTON_LABEL_MAX, buttons=self.kit.cancel_row(turn.language)
            )
        return await self._ask_audience(turn, replace(draft, button=button))

    async def _take_when(self, turn: Turn, draft: Draft, text: str) -> Outcome:
        when = parse_when(text, self.zone)
        if when is None or when <= self.clock.now():
            return self.kit.say(turn, "ann.bad_when", buttons=self.kit.cancel_row(turn.language))
        return await self._confirm_send(turn, replace(draft, send_at=when))

    # --- buttons ----------------------------------------------------------------------------

    async def _no_button(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        return await self._ask_audience(turn, draft) if not args else None

    async def _segment(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if len(args) != 1 or args[0] not in SEGMENTS:
            return None
        return await self._preview(turn, draft, Audience(segment=args[0]))

    async def _language(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if len(args) != 1 or args[0] not in self.catalog.languages:
            return None
        return await self._preview(turn, draft, Audience(language=args[0]))

    async def _regions(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if args:
            return None
        lang = turn.language
        buttons = [
            Button(name, data=callbacks.encode("aar", key))
            for key, name in self.catalog.region_names(lang)
        ]
        rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
        return Outcome(
            (Reply(self.catalog.text(lang, "events.choose_region"), buttons=tuple(rows)),), lang
        )

    async def _region(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if len(args) != 1 or args[0] not in self.catalog.regions:
            return None
        return await self._preview(turn, draft, Audience(region=args[0]))

    async def _events(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if args:
            return None
        lang = turn.language
        found, _ = await self.events.upcoming(self.clock.now(), EventFilter(), 0, 20)
        rows = [
            (
                Button(
                    e.draft.text_in(lang, self.catalog.default_language).title[:50],
                    data=callbacks.encode("aae", e.id),
                ),
            )
            for e in found
        ]
        reply = Reply(
            self.catalog.text(lang, "ann.choose_event"),
            buttons=tuple(rows) or self.kit.cancel_row(lang),
        )
        return Outcome((reply,), lang)

    async def _event(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if len(args) != 1 or not args[0].isdigit():
            return None
        return await self._preview(turn, draft, Audience(event_id=int(args[0])))

    async def _now(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        return await self._confirm_send(turn, replace(draft, send_at=None)) if not args else None

    async def _later(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if args:
            return None
        await self._ask(turn, replace(draft, step=Step.WHEN))
        return self.kit.say(
            turn, "ann.ask_when", zone=self.zone.key, buttons=self.kit.cancel_row(turn.language)
        )

    async def _send(self, turn: Turn, draft: Draft, args: tuple[str, ...]) -> Outcome | None:
        if args:
            return None
        user, now = turn.incoming.user_id, self.clock.now()
        send_at = draft.send_at or now
        record = await self.service.schedule(
            draft.message(),
            draft.audience or Audience(),
            send_at,
            await self.kit.origin(turn),
            now,
        )
        await self.conversations.clear(user)
        key = "ann.scheduled" if send_at > now else "ann.queued"
        return self.kit.say(turn, key, id=record.id)

    async def _cancel(self, turn: Turn, args: tuple[str, ...]) -> Outcome | None:
        if len(args) != 1 or not args[0].isdigit():
            return None
        record = await self.service.cancel(
            int(args[0]), await self.kit.origin(turn), self.clock.now()
        )
        if record is None:
            return None
        return self.kit.say(turn, "ann.cancelled", id=record.id)

    # --- the questions ----------------------------------------------------------------------

    async def _ask_audience(self, turn: Turn, draft: Draft) -> Outcome:
        lang = turn.language
        await self._ask(turn, replace(draft, step=Step.AUDIENCE))
        text = self.catalog.text
        rows: list[tuple[Button, ...]] = [
            tuple(
                Button(text(lang, f"ann.audience.{s}"), data=callbacks.encode("aa", s))
                for s in SEGMENTS
            ),
            tuple(
                Button(meta.native_name, data=callbacks.encode("al", code))
                for code, meta in self.catalog.languages.items()
            ),
            (
                Button(text(lang, "ann.audience.region"), data="ar"),
                Button(text(lang, "ann.audience.event"), data="ae"),
            ),
            self.kit.cancel_row(lang)[0],
        ]
        return Outcome((Reply(text(lang, "ann.ask_audience"), buttons=tuple(rows)),), lang)

    async def _preview(self, turn: Turn, draft: Draft, audience: Audience) -> Outcome:
        lang = turn.language
        draft = replace(draft, step=Step.PREVIEW, audience=audience)
        await self._ask(turn, draft)
        size = await self.broadcasts.audience_size(audience)
        control = Reply(
            self.catalog.plural(
                lang, "ann.preview", size, audience=self._audience_label(lang, audience)
            ),
            buttons=(
                (
                    Button(self.catalog.text(lang, "ann.send_now"), data="as"),
                    Button(self.catalog.text(lang, "ann.schedule"), data="ash"),
                ),
                self.kit.cancel_row(lang)[0],
            ),
        )
        intro = Reply(self.catalog.text(lang, "ann.preview_intro"))
        return Outcome((intro, draft.message(), control), lang)

    async def _confirm_send(self, turn: Turn, draft: Draft) -> Outcome:
        lang = turn.language
        draft = replace(draft, step=Step.CONFIRM)
        await self._ask(turn, draft)
        size = await self.broadcasts.audience_size(draft.audience or Audience())
        if draft.send_at is not None:
            locale = self.catalog.languages[lang].babel_locale
            text = self.catalog.plural(
                lang,
                "ann.confirm_at",
                size,
                when=format_datetime(draft.send_at, "d MMMM y, HH:mm", locale=locale),
            )
        else:
            text = self.catalog.plural(lang, "ann.confirm_now", size)
        buttons = (
            (
                Button(self.catalog.text(lang, "ann.confirm_yes"), data="asy"),
                Button(self.catalog.text(lang, "org.cancel"), data=LEAVE),
            ),
        )
        return Outcome((Reply(text, buttons=buttons),), lang)

    def _audience_label(self, lang: str, audience: Audience) -> str:
        text = self.catalog.text
        parts = [text(lang, f"ann.audience.{audience.segment}")]
        if audience.language:
            parts.append(self.catalog.languages[audience.language].native_name)
        if audience.region:
            parts.append(self.catalog.region_name(lang, audience.region))
        if audience.event_id is not None:
            parts.append(text(lang, "ann.audience.event_n", id=audience.event_id))
        return ", ".join(parts)

    # --- /broadcasts ------------------------------------------------------------------------

    async def status(self, turn: Turn) -> Outcome:
        lang = turn.language
        records = await self.broadcasts.recent(5)
        if not records:
            return self.kit.say(turn, "ann.none")
        lines = [self.catalog.text(lang, "ann.status_title")]
        number = self.catalog.number
        rows: list[tuple[Button, ...]] = []
        locale = self.catalog.languages[lang].babel_locale
        for record in records:
            counts = await self.deliveries.counts(announcement_ref(record.id))
            waiting = sum(counts.get(s, 0) for s in WAITING)
            lines.append(
                self.catalog.text(
                    lang,
                    "ann.status_line",
                    id=record.id,
                    status=self.catalog.text(lang, f"ann.status.{record.status}"),
                    when=format_datetime(record.send_at, "d MMM, HH:mm", locale=locale),
                    audience=self._audience_label(lang, record.audience),
                    queued=number(lang, record.queued),
                    waiting=number(lang, waiting),
                    sent=number(lang, counts.get(Status.SENT, 0)),
                    failed=number(
                        lang, counts.get(Status.FAILED, 0) + counts.get(Status.UNCERTAIN, 0)
                    ),
                    blocked=number(lang, counts.get(Status.BLOCKED, 0)),
                )
            )
            if record.status != BroadcastStatus.CANCELLED and (
                record.status != BroadcastStatus.QUEUED or waiting
            ):
                rows.append(
                    (
                        Button(
                            self.catalog.text(lang, "ann.cancel_button", id=record.id),
                            data=callbacks.encode("bx", record.id),
                        ),
                    )
                )
        return Outcome((Reply("\n\n".join(lines), buttons=tuple(rows)),), lang)
