"""Events from the user's side: the list (paginated, filtered by region and by online or in
person), an event's card, "Remind me" and "Add to calendar".

Reminders go through the delivery engine as outbox items, one per reminder time, keyed by event,
version, user and offset: a changed event gets new keys, and the old ones are dropped. Each expires
when the event starts, so none is ever sent for an event that has begun.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time, format_timedelta
from babel.lists import format_list

from bot.content.catalog import Catalog
from bot.core import callbacks
from bot.core.events import EventDraft, valid_zone
from bot.core.messages import Button, Document, Outcome, Reply, Turn
from bot.core.outbox_refs import event_user_ref, notice_key, reminder_key
from bot.core.payloads import payload_of
from bot.core.ports import (
    CalendarRenderer,
    Clock,
    Deliveries,
    EventFilter,
    EventRecord,
    Events,
    Recipient,
    Reminders,
    Scheduled,
    Subscriptions,
)
from bot.core.registry import Registration, ignoring_reading
from bot.core.understanding import Reading
from bot.core.zones import same_clock, utc_offset, viewer_zone, zone_city, zone_label
from bot.text.markup import escape

PAGE = 5
MODES = {"a": None, "o": "online", "p": "in_person"}
ANY_REGION = "x"


class EventsFeature:
    def __init__(
        self,
        catalog: Catalog,
        events: Events,
        reminders: Reminders,
        deliveries: Deliveries,
        subscriptions: Subscriptions,
        calendar: CalendarRenderer,
        clock: Clock,
        offsets: tuple[int, ...],
        *,
        default_zone: ZoneInfo,
    ) -> None:
        self.catalog = catalog
        self.default_zone = default_zone  # DEFAULT_TIMEZONE, for users who chose none
        self.events = events
        self.reminders = reminders
        self.deliveries = deliveries
        self.subscriptions = subscriptions
        self.calendar = calendar
        self.clock = clock
        self.offsets = tuple(sorted(offsets, reverse=True))  # minutes before the start

    # --- entry points -----------------------------------------------------------------------

    def registration(self) -> Registration:
        return Registration(
            "events",
            commands={"events": self.list_events},
            intents={
                "events": ignoring_reading(self.list_events),
                "event_reminder": self._reminder_intent,
            },
            actions=frozenset({"el", "ef", "ev", "er", "eu", "ec"}),
            callback=self.callback,
        )

    async def list_events(self, turn: Turn) -> Outcome:
        return await self._page(turn, 0, None, "a")

    async def _reminder_intent(self, turn: Turn, reading: Reading) -> Outcome:
        outcome = await self.list_events(turn)
        hint = Reply(self.catalog.text(turn.language, "events.reminder_hint"))
        return Outcome((hint, *outcome.replies), turn.language, topic="event_reminder")

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        lang = turn.language
        match data.action, data.args:
            case "el", (page, region, mode) if (
                page.isdigit() and mode in MODES and self._region_ok(region)
            ):
                return await self._page(
                    turn, int(page), None if region == ANY_REGION else region, mode
                )
            case "ef", (mode,) if mode in MODES:
                return self._out(turn, self._region_menu(lang, mode))
            case "ev", (event_id,) if event_id.isdigit():
                event = await self.events.get(int(event_id))
                if event is not None:
                    return self._out(turn, await self._card(turn, event))
            case "er", (event_id,) if event_id.isdigit():
                return await self._remind(turn, int(event_id))
            case "eu", (event_id,) if event_id.isdigit():
                return await self._unremind(turn, int(event_id))
            case "ec", (event_id,) if event_id.isdigit():
                return await self._calendar(turn, int(event_id))
        return None

    # --- the list -------------------------------------------------------------------------

    async def _page(self, turn: Turn, page: int, region: str | None, mode: str) -> Outcome:
        lang = turn.language
        now = self.clock.now()
        where = EventFilter(region=region, mode=MODES[mode])
        found, total = await self.events.upcoming(now, where, page * PAGE, PAGE)
        zone = await self._zone(turn)
        text = self.catalog.text
        if not found:
            body = text(lang, "events.none" if page == 0 else "events.no_more")
        else:
            pages = (total + PAGE - 1) // PAGE
            lines = [text(lang, "events.title", page=page + 1, pages=pages)]
            for n, event in enumerate(found, start=page * PAGE + 1):
                lines.append(
                    f"{n}. <b>{escape(self._title(lang, event))}</b>\n"
                    f"   {self._when(lang, event, zone)}"
                    f" · {self._where_short(lang, event)}"
                )
            body = "\n\n".join(lines)
        rows: list[tuple[Button, ...]] = [
            (Button(f"{n}. {self._title(lang, e)}"[:60], data=callbacks.encode("ev", e.id)),)
            for n, e in enumerate(found, start=page * PAGE + 1)
        ]
        r = region or ANY_REGION
        paging: list[Button] = []
        if page > 0:
            paging.append(
                Button(
                    text(lang, "events.previous"), data=callbacks.encode("el", page - 1, r, mode)
                )
            )
        if (page + 1) * PAGE < total:
            paging.append(
                Button(text(lang, "events.next"), data=callbacks.encode("el", page + 1, r, mode))
            )
        if paging:
            rows.append(tuple(paging))
        rows.append(
            (
                Button(text(lang, "events.filter.region"), data=callbacks.encode("ef", mode)),
                Button(
                    text(lang, f"events.filter.mode.{self._next_mode(mode)}"),
                    data=callbacks.encode("el", 0, r, self._next_mode(mode)),
                ),
            )
        )
        if region is not None or mode != "a":
            filters = text(
                lang,
                "events.filtered",
                region=self.catalog.region_name(lang, region)
                if region
                else text(lang, "events.any_region"),
                mode=text(lang, f"events.mode.{mode}"),
            )
            body = filters + "\n\n" + body
        return Outcome((Reply(body, buttons=tuple(rows)),), lang, topic="events")

    def _region_menu(self, lang: str, mode: str) -> Reply:
        buttons = [
            Button(name, data=callbacks.encode("el", 0, key, mode))
            for key, name in self.catalog.region_names(lang)
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.insert(
            0,
            (
                Button(
                    self.catalog.text(lang, "events.any_region"),
                    data=callbacks.encode("el", 0, ANY_REGION, mode),
                ),
            ),
        )
        return Reply(self.catalog.text(lang, "events.choose_region"), buttons=tuple(rows))

    @staticmethod
    def _next_mode(mode: str) -> str:
        return {"a": "o", "o": "p", "p": "a"}[mode]

    def _region_ok(self, region: str) -> bool:
        return region == ANY_REGION or region in self.catalog.regions

    # --- one event --------------------------------------------------------------------------

    async def _card(self, turn: Turn, event: EventRecord) -> Reply:
        lang = turn.language
        zone = await self._zone(turn)
        reminded = await self.reminders.has(turn.incoming.user_id, event.id)
        text = self.card_text(lang, event, zone)
        rows: list[tuple[Button, ...]] = []
        if event.active and event.draft.start > self.clock.now():
            action = ("eu", "events.unremind") if reminded else ("er", "events.remind")
            rows.append(
                (
                    Button(
                        self.catalog.text(lang, action[1]),
                        data=callbacks.encode(action[0], event.id),
                    ),
                    Button(
                        self.catalog.text(lang, "events.calendar"),
                        data=callbacks.encode("ec", event.id),
                    ),
                )
            )
        links: list[Button] = []
        if event.draft.link:
            links.append(Button(self.catalog.text(lang, "events.website"), url=event.draft.link))
        if event.draft.online_url and event.draft.online_url != event.draft.link:
            links.append(Button(self.catalog.text(lang, "events.join"), url=event.draft.online_url))
        if links:
            rows.append(tuple(links))
        rows.append((Button(self.catalog.text(lang, "events.back"), data="el:0:x:a"),))
        return Reply(text, buttons=tuple(rows))

    def card_text(self, lang: str, event: EventRecord, zone: ZoneInfo) -> str:
        """The event as users see it; also the preview organisers get before saving."""
        draft = event.draft
        text = self.catalog.text
        parts = []
        if draft.sample:
            parts.append(text(lang, "events.sample"))
        if not event.active:
            parts.append(text(lang, "events.cancelled_label"))
        local = draft.text_in(lang, self.catalog.default_language)
        parts.append(text(lang, "events.card_title", title=local.title))
        parts.append(text(lang, "events.when", when=self._when(lang, event, zone)))
        default = self.catalog.default_language
        place = draft.place_in(lang, default)
        if place:
            parts.append(text(lang, "events.place", place=place))
        if draft.online_url:
            parts.append(text(lang, "events.online"))
        parts.append(
            text(lang, "events.region", region=self.catalog.region_name(lang, draft.region))
        )
        parts.append(
            text(lang, "events.audience", audience=text(lang, f"events.audience.{draft.audience}"))
        )
        parts.append(text(lang, "events.organiser", organiser=draft.organiser_in(lang, default)))
        description = text(lang, "events.description", description=local.description)
        return "\n".join(parts) + "\n\n" + description

    async def _remind(self, turn: Turn, event_id: int) -> Outcome | None:
        lang = turn.language
        event = await self.events.get(event_id)
        if event is None:
            return None
        now = self.clock.now()
        if not event.active or event.draft.start <= now:
            return self._out(turn, Reply(self.catalog.text(lang, "events.too_late")))
        user = turn.incoming.user_id
        await self.reminders.add(user, event.id, now)
        zone = await self._zone(turn)
        recipient = Recipient(user, lang, str(zone))
        await self.deliveries.schedule(self.reminder_items(event, [recipient], now), now)
        locale = self.catalog.languages[lang].babel_locale
        times = format_list(
            [
                self.catalog.text(lang, "events.before", delta=self._offset(lang, m))
                for m in self.offsets
            ],
            locale=locale,
        )
        reply = Reply(
            self.catalog.text(
                lang, "events.reminder_set", title=self._title(lang, event), times=times
            ),
            buttons=(
                (
                    Button(
                        self.catalog.text(lang, "events.unremind"),
                        data=callbacks.encode("eu", event.id),
                    ),
                ),
            ),
        )
        return Outcome((reply,), lang, topic="event_reminder", events=("reminder_set",))

    async def _unremind(self, turn: Turn, event_id: int) -> Outcome | None:
        lang = turn.language
        event = await self.events.get(event_id)
        if event is None:
            return None
        await self.reminders.remove(turn.incoming.user_id, event_id)
        await self.deliveries.cancel_pending(
            event_user_ref(event_id, turn.incoming.user_id), self.clock.now()
        )
        reply = Reply(
            self.catalog.text(lang, "events.reminder_removed", title=self._title(lang, event))
        )
        return Outcome((reply,), lang, topic="event_reminder")

    async def _calendar(self, turn: Turn, event_id: int) -> Outcome | None:
        lang = turn.language
        event = await self.events.get(event_id)
        if event is None:
            return None
        content = self.calendar.event_ics(event.draft, lang, not event.active, event.version)
        document = Document(
            filename=f"{event.draft.key}.ics",
            content=content,
            mime_type="text/calendar",
            caption=self.catalog.text(
                lang, "events.calendar_caption", title=self._title(lang, event)
            ),
        )
        return Outcome(
            (Reply(self.catalog.text(lang, "events.calendar_ready"), document=document),),
            lang,
            topic="events",
        )

    # --- reminders and notices, for one user or for everyone who asked ----------------------

    def reminder_items(
        self, event: EventRecord, recipients: Sequence[Recipient], now: dt.datetime
    ) -> list[Scheduled]:
        items = []
        for recipient in recipients:
            zone = self._recipient_zone(recipient)
            for minutes in self.offsets:
                # In UTC: arithmetic on a zoned datetime is wall-clock arithmetic, and across
                # the end of summer time "an hour before" would be two.
                at = event.draft.start.astimezone(dt.UTC) - dt.timedelta(minutes=minutes)
                if at <= now:
                    continue
                reply = self._reminder_reply(recipient.language, event, zone, minutes)
                items.append(
                    Scheduled(
                        key=reminder_key(event.id, event.version, recipient.user_id, minutes),
                        user_id=recipient.user_id,
                        kind="reminder",
                        payload=payload_of(reply),
                        not_before=at,
                        expires_at=event.draft.start,
                        ref=event_user_ref(event.id, recipient.user_id),
                    )
                )
        return items

    def change_items(
        self, event: EventRecord, recipients: Sequence[Recipient], now: dt.datetime
    ) -> list[Scheduled]:
        """After an event changed or was cancelled: a notice for everyone who asked, and new
        reminders for the new time. The handler of EventChanged (bot/services/handlers.py)
        queues them, in the transaction of the use case that changed the event."""
        items = [self._notice(event, recipient, now) for recipient in recipients]
        if event.active:
            items.extend(self.reminder_items(event, recipients, now))
        return items

    def _notice(self, event: EventRecord, recipient: Recipient, now: dt.datetime) -> Scheduled:
        lang = (
            recipient.language
            if recipient.language in self.catalog.languages
            else self.catalog.default_language
        )
        zone = self._recipient_zone(recipient)
        key = "events.notice_changed" if event.active else "events.notice_cancelled"
        text = self.catalog.text(
            lang, key, title=self._title(lang, event), when=self._when(lang, event, zone)
        )
        buttons = (
            (
                Button(
                    self.catalog.text(lang, "events.details"), data=callbacks.encode("ev", event.id)
                ),
            ),
        )
        return Scheduled(
            key=notice_key(event.id, event.version, event.status, recipient.user_id),
            user_id=recipient.user_id,
            kind="event_notice",
            payload=payload_of(Reply(text, buttons=buttons)),
            not_before=now,
            # A notice about an event that is over helps nobody.
            expires_at=event.draft.end,
            ref=f"evn:{event.id}",
        )

    def _reminder_reply(self, lang: str, event: EventRecord, zone: ZoneInfo, minutes: int) -> Reply:
        lang = lang if lang in self.catalog.languages else self.catalog.default_language
        text = self.catalog.text(
            lang,
            "events.reminder",
            title=self._title(lang, event),
            delta=self._offset(lang, minutes),
            when=self._when(lang, event, zone),
            where=self._where_short(lang, event),
        )
        buttons = (
            (
                Button(
                    self.catalog.text(lang, "events.details"), data=callbacks.encode("ev", event.id)
                ),
            ),
        )
        return Reply(text, buttons=buttons)

    # --- formatting -----------------------------------------------------------------------

    def _title(self, lang: str, event: EventRecord) -> str:
        return event.draft.text_in(lang, self.catalog.default_language).title

    def _when(self, lang: str, event: EventRecord, zone: ZoneInfo) -> str:
        """The time on the viewer's clock (`zone`) and, for an event in a place where clocks
        show another time, also on the clocks there."""
        draft = event.draft
        locale = self.catalog.languages[lang].babel_locale
        start = draft.start.astimezone(zone)
        text = _span(start, draft.end.astimezone(zone), locale, "EEE d MMMM y, HH:mm")
        # The offset in force at the event, not today's: October events fall in summer time.
        when = f"{text}, {zone_label(self.catalog, lang, zone.key, draft.start)}"
        venue = self._venue_zone(draft)
        if venue is None or same_clock(venue, zone, draft.start, draft.end):
            return when
        there = draft.start.astimezone(venue)
        # The date only when it is another day there than on the viewer's own clock.
        pattern = "HH:mm" if there.date() == start.date() else "EEE d MMMM, HH:mm"
        local = self.catalog.html(
            lang,
            "events.venue_time",
            time=_span(there, draft.end.astimezone(venue), locale, pattern),
            city=zone_city(self.catalog, lang, venue.key),
            offset=utc_offset(venue.key, draft.start),
        )
        return f"{when} · {local}"

    @staticmethod
    def _venue_zone(draft: EventDraft) -> ZoneInfo | None:
        """Where people go to an event, its times are given in the zone of the place (see
        docs/content.md); an online event has no place, and everyone is on their own clock."""
        if not draft.place or not valid_zone(draft.timezone):
            return None
        return ZoneInfo(draft.timezone)

    def _where_short(self, lang: str, event: EventRecord) -> str:
        if event.draft.place:
            return self.catalog.region_name(lang, event.draft.region)
        return self.catalog.text(lang, "events.mode.o")

    def _offset(self, lang: str, minutes: int) -> str:
        locale = self.catalog.languages[lang].babel_locale
        return format_timedelta(dt.timedelta(minutes=minutes), locale=locale)

    async def _zone(self, turn: Turn) -> ZoneInfo:
        sub = await self.subscriptions.get(turn.incoming.user_id)
        return viewer_zone(sub.timezone if sub else None, self.default_zone)

    def _recipient_zone(self, recipient: Recipient) -> ZoneInfo:
        return viewer_zone(recipient.timezone, self.default_zone)

    def _out(self, turn: Turn, reply: Reply) -> Outcome:
        return Outcome((reply,), turn.language, topic="events")


def _span(start: dt.datetime, end: dt.datetime, locale: str, pattern: str) -> str:
    """ "Thu 7 October 2027, 18:30–20:00": `pattern` for the start, then the end's time, or its
    date and time when it ends on another day."""
    text = format_datetime(start, pattern, locale=locale)
    if end.date() == start.date():
        return text + "–" + format_time(end, "HH:mm", locale=locale)
    return text + " – " + format_datetime(end, "d MMMM, HH:mm", locale=locale)
