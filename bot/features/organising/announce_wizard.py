"""/announce: the text, an optional link button (both checked by bot.core.announcements), the
audience, a preview as recipients will see it, then send now or schedule, and confirm; and
/broadcasts: what each announcement has done so far, with a cancel button."""

from __future__ import annotations

import datetime as dt
import json

from babel.dates import format_datetime

from bot.core import callbacks
from bot.core.announcements import BUTTON_LABEL_MAX, check_text, parse_button
from bot.core.markup import MESSAGE_LIMIT
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.outbox_refs import announcement_ref
from bot.core.outbox_status import WAITING, Status
from bot.core.ports import (
    Audience,
    BroadcastStatus,
    EventFilter,
    PendingInput,
)
from bot.features.organising.base import ANNOUNCE_FLOW, OrganiserBase
from bot.services.events import Origin


class AnnounceWizard(OrganiserBase):
    async def announce_input(self, turn: Turn, pending: PendingInput, text: str) -> Outcome:
        lang, user = turn.language, turn.incoming.user_id
        data = dict(pending.data)
        step = data.get("step")
        if step == "text":
            body = (turn.incoming.html or text).strip()
            problem = check_text(body)
            if problem is not None and problem.code == "markup":
                return self._say(
                    turn, "ann.bad_html", reason=problem.detail, buttons=self._cancel_row(lang)
                )
            if problem is not None and problem.code == "too_long":
                return self._say_counted(
                    turn,
                    "ann.too_long",
                    problem.length,
                    limit=self.catalog.number(lang, MESSAGE_LIMIT),
                    buttons=self._cancel_row(lang),
                )
            if problem is not None:  # nothing to announce
                return self._say(turn, "error.unsupported_message")
            data.update(text=body, step="button")
            await self.conversations.set(user, PendingInput(ANNOUNCE_FLOW, data), self.clock.now())
            return self._say(
                turn,
                "ann.ask_button",
                buttons=(
                    (Button(self.catalog.text(lang, "org.skip"), data="ab"),),
                    self._cancel_row(lang)[0],
                ),
            )
        if step == "button":
            button = parse_button(text)
            if button is None or button.url is None:
                return self._say_counted(
                    turn, "ann.bad_button", BUTTON_LABEL_MAX, buttons=self._cancel_row(lang)
                )
            data.update(button_label=button.label, button_url=button.url)
            return await self._ask_audience(turn, data)
        if step == "when":
            # Like `ecsm-bot broadcast --at`: in DEFAULT_TIMEZONE, the campaign's.
            data["timezone"] = self.event_list.default_zone.key
            when = self._when(text, data, "start")
            if when is None or when <= self.clock.now():
                return self._say(turn, "ann.bad_when", buttons=self._cancel_row(lang))
            data["send_at"] = when.isoformat()
            return await self._confirm_send(turn, data)
        await self.conversations.clear(user)
        return self._say(turn, "error.stale_button")

    async def _ask_audience(self, turn: Turn, data: dict[str, str]) -> Outcome:
        lang = turn.language
        data["step"] = "audience"
        await self.conversations.set(
            turn.incoming.user_id, PendingInput(ANNOUNCE_FLOW, data), self.clock.now()
        )
        text = self.catalog.text
        rows: list[tuple[Button, ...]] = [
            tuple(
                Button(text(lang, f"ann.audience.{s}"), data=callbacks.encode("aa", s))
                for s in ("all", "citizen", "business")
            ),
            tuple(
                Button(meta.native_name, data=callbacks.encode("al", code))
                for code, meta in self.catalog.languages.items()
            ),
            (
                Button(text(lang, "ann.audience.region"), data="ar"),
                Button(text(lang, "ann.audience.event"), data="ae"),
            ),
            self._cancel_row(lang)[0],
        ]
        return Outcome((Reply(text(lang, "ann.ask_audience"), buttons=tuple(rows)),), lang)

    async def _preview_announcement(self, turn: Turn, data: dict[str, str]) -> Outcome:
        lang = turn.language
        data["step"] = "preview"
        await self.conversations.set(
            turn.incoming.user_id, PendingInput(ANNOUNCE_FLOW, data), self.clock.now()
        )
        message = self._announcement(data)
        audience = self._audience(data)
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
                self._cancel_row(lang)[0],
            ),
        )
        return Outcome(
            (Reply(self.catalog.text(lang, "ann.preview_intro")), message, control), lang
        )

    async def _confirm_send(self, turn: Turn, data: dict[str, str]) -> Outcome:
        lang = turn.language
        data["step"] = "confirm"
        await self.conversations.set(
            turn.incoming.user_id, PendingInput(ANNOUNCE_FLOW, data), self.clock.now()
        )
        size = await self.broadcasts.audience_size(self._audience(data))
        if data.get("send_at"):
            when = dt.datetime.fromisoformat(data["send_at"])
            locale = self.catalog.languages[lang].babel_locale
            text = self.catalog.plural(
                lang,
                "ann.confirm_at",
                size,
                when=format_datetime(when, "d MMMM y, HH:mm", locale=locale),
            )
        else:
            text = self.catalog.plural(lang, "ann.confirm_now", size)
        buttons = (
            (
                Button(self.catalog.text(lang, "ann.confirm_yes"), data="asy"),
                Button(self.catalog.text(lang, "org.cancel"), data="nx"),
            ),
        )
        return Outcome((Reply(text, buttons=buttons),), lang)

    async def _send(self, turn: Turn, data: dict[str, str]) -> Outcome:
        user, now = turn.incoming.user_id, self.clock.now()
        send_at = dt.datetime.fromisoformat(data["send_at"]) if data.get("send_at") else now
        audience = self._audience(data)
        record = await self.announcements.schedule(
            self._announcement(data), audience, send_at, Origin(user), now
        )
        await self.conversations.clear(user)
        key = "ann.scheduled" if send_at > now else "ann.queued"
        return self._say(turn, key, id=record.id)

    def _announcement(self, data: dict[str, str]) -> Reply:
        buttons: tuple[tuple[Button, ...], ...] = ()
        if data.get("button_label") and data.get("button_url"):
            buttons = ((Button(data["button_label"], url=data["button_url"]),),)
        return Reply(data.get("text", ""), buttons=buttons)

    @staticmethod
    def _audience(data: dict[str, str]) -> Audience:
        raw = json.loads(data.get("audience", "{}"))
        return Audience(
            segment=raw.get("segment", "all"),
            language=raw.get("language"),
            region=raw.get("region"),
            event_id=raw.get("event_id"),
        )

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

    async def _broadcast_status(self, turn: Turn) -> Outcome:
        lang = turn.language
        records = await self.broadcasts.recent(5)
        if not records:
            return self._say(turn, "ann.none")
        lines = [self.catalog.text(lang, "ann.status_title")]
        number = self.catalog.number
        rows: list[tuple[Button, ...]] = []
        locale = self.catalog.languages[lang].babel_locale
        for record in records:
            counts = await self.event_list.deliveries.counts(announcement_ref(record.id))
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

    async def _announce_button(
        self, turn: Turn, data: callbacks.Callback, flow: dict[str, str], step: str | None
    ) -> Outcome | None:
        lang = turn.language
        match data.action, data.args:
            case "ab", () if step == "button":
                return await self._ask_audience(turn, flow)
            case "aa", (segment,) if step == "audience" and segment in (
                "all",
                "citizen",
                "business",
            ):
                flow["audience"] = json.dumps({"segment": segment})
                return await self._preview_announcement(turn, flow)
            case "al", (code,) if step == "audience" and code in self.catalog.languages:
                flow["audience"] = json.dumps({"segment": "all", "language": code})
                return await self._preview_announcement(turn, flow)
            case "ar", () if step == "audience":
                buttons = [
                    Button(name, data=callbacks.encode("aar", key))
                    for key, name in self.catalog.region_names(lang)
                ]
                rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
                return Outcome(
                    (Reply(self.catalog.text(lang, "events.choose_region"), buttons=tuple(rows)),),
                    lang,
                )
            case "aar", (region,) if step == "audience" and region in self.catalog.regions:
                flow["audience"] = json.dumps({"segment": "all", "region": region})
                return await self._preview_announcement(turn, flow)
            case "ae", () if step == "audience":
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
                return Outcome(
                    (
                        Reply(
                            self.catalog.text(lang, "ann.choose_event"),
                            buttons=tuple(rows) or self._cancel_row(lang),
                        ),
                    ),
                    lang,
                )
            case "aae", (event_id,) if step == "audience" and event_id.isdigit():
                flow["audience"] = json.dumps({"segment": "all", "event_id": int(event_id)})
                return await self._preview_announcement(turn, flow)
            case "as", () if step == "preview":
                flow.pop("send_at", None)
                return await self._confirm_send(turn, flow)
            case "ash", () if step == "preview":
                flow["step"] = "when"
                await self.conversations.set(
                    turn.incoming.user_id, PendingInput(ANNOUNCE_FLOW, flow), self.clock.now()
                )
                zone = self.event_list.default_zone.key
                return self._say(turn, "ann.ask_when", zone=zone, buttons=self._cancel_row(lang))
            case "asy", () if step == "confirm":
                return await self._send(turn, flow)
        return None
