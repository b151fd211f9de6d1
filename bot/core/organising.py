"""What organisers do: add, edit and cancel events (/newevent, /editevent, /cancelevent), send
announcements (/announce, /broadcasts), manage organisers (/organiser, admins only) and see the
figures (/stats). Every command is refused to everyone else with a plain reply, and every action
is written to the audit log.

Multi-step input lives in the conversation store (PendingInput), so a restart or another process
continues it; every button of a flow names the step it answers and is refused when the flow is
elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.content.catalog import Catalog
from bot.core import callbacks
from bot.core.announcements import BUTTON_LABEL_MAX, BUTTON_URL, check_text, parse_button
from bot.core.event_list import EventsFeature
from bot.core.events import (
    AUDIENCES,
    LENGTHS,
    EventDraft,
    EventText,
    Problem,
    check_draft,
    valid_zone,
)
from bot.core.markup import MESSAGE_LIMIT, escape
from bot.core.messages import Button, Document, Outcome, Reply, Turn
from bot.core.outbox_refs import announcement_ref
from bot.core.ports import (
    Audience,
    Audit,
    Broadcasts,
    ChartRenderer,
    Clock,
    Conversations,
    EventFilter,
    EventRecord,
    Events,
    PendingInput,
    Roles,
    StatsSource,
)
from bot.core.registry import CommandHandler, FlowHandler, Registration
from bot.services.announcements import AnnouncementService
from bot.services.events import EventService, Origin
from bot.services.organisers import OrganiserService

EVENT_FLOW, ANNOUNCE_FLOW = "newevent", "announce"
OPTIONAL = frozenset({"place", "online_url", "link"})
WHEN = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})\s*$")
TIME_ONLY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
URL = BUTTON_URL  # event links: https, like announcement buttons
STATS_DAYS = 60
COMMANDS = ("newevent", "editevent", "cancelevent", "announce", "broadcasts", "organiser", "stats")


class OrganiserFeature:
    def __init__(
        self,
        catalog: Catalog,
        admins: frozenset[int],
        roles: Roles,
        audit: Audit,
        events: Events,
        event_list: EventsFeature,
        broadcasts: Broadcasts,
        conversations: Conversations,
        stats: StatsSource,
        charts: ChartRenderer,
        clock: Clock,
        event_service: EventService,
        announcements: AnnouncementService,
        organisers: OrganiserService,
    ) -> None:
        self.catalog = catalog
        self.admins = admins
        self.roles = roles
        self.audit = audit
        self.events = events
        self.event_list = event_list
        self.broadcasts = broadcasts
        self.conversations = conversations
        self.stats = stats
        self.charts = charts
        self.clock = clock
        self.event_service = event_service
        self.announcements = announcements
        self.organisers = organisers

    @property
    def event_steps(self) -> list[str]:
        steps = [
            f"{kind}_{lang}" for lang in self.catalog.languages for kind in ("title", "description")
        ]
        return [
            *steps,
            "timezone",
            "start",
            "end",
            "place",
            "online_url",
            "region",
            "audience",
            "organiser",
            "link",
        ]

    def registration(self) -> Registration:
        return Registration(
            "organisers",
            commands={name: self._command_handler(name) for name in COMMANDS},
            actions=ORGANISER_ACTIONS,
            callback=self.callback,
            flows={
                EVENT_FLOW: self._organisers_only(self.event_input),
                ANNOUNCE_FLOW: self._organisers_only(self.announce_input),
            },
        )

    def _command_handler(self, name: str) -> CommandHandler:
        async def handler(turn: Turn) -> Outcome:
            return await self.command(turn, name)

        return handler

    def _organisers_only(self, flow: FlowHandler) -> FlowHandler:
        """Multi-step input: the role is checked again at every step."""

        async def handler(turn: Turn, pending: PendingInput, text: str) -> Outcome | None:
            if not await self.is_organiser(turn.incoming.user_id):
                await self.conversations.clear(turn.incoming.user_id)
                return self._refused(turn)
            return await flow(turn, pending, text)

        return handler

    # --- who may ------------------------------------------------------------------------------

    async def is_organiser(self, user_id: int) -> bool:
        return user_id in self.admins or await self.roles.is_organiser(user_id)

    def _refused(self, turn: Turn) -> Outcome:
        return Outcome(
            (Reply(self.catalog.text(turn.language, "error.organisers_only")),), turn.language
        )

    async def command(self, turn: Turn, name: str) -> Outcome:
        user = turn.incoming.user_id
        if name == "organiser":
            if user not in self.admins:
                return Outcome(
                    (Reply(self.catalog.text(turn.language, "error.admins_only")),), turn.language
                )
            return await self._organiser_admin(turn)
        if not await self.is_organiser(user):
            return self._refused(turn)
        match name:
            case "newevent":
                return await self._start_event(turn, None)
            case "editevent" | "cancelevent":
                arg = turn.incoming.args[0] if turn.incoming.args else ""
                event = await self.events.get(int(arg)) if arg.isdigit() else None
                if event is None:
                    return self._say(turn, "org.no_such_event")
                if name == "editevent":
                    return await self._start_event(turn, event)
                return self._confirm_cancel(turn, event)
            case "announce":
                await self.conversations.set(
                    user, PendingInput(ANNOUNCE_FLOW, {"step": "text"}), self.clock.now()
                )
                return self._say(turn, "ann.ask_text", buttons=self._cancel_row(turn.language))
            case "broadcasts":
                return await self._broadcast_status(turn)
            case "stats":
                return await self._stats(turn)
        return self._say(turn, "error.unknown_command")

    # --- events ---------------------------------------------------------------------------

    async def _start_event(self, turn: Turn, event: EventRecord | None) -> Outcome:
        data: dict[str, str] = {"step": self.event_steps[0]}
        if event is not None:
            data.update(self._fields_of(event.draft))
            data["event_id"] = str(event.id)
        await self.conversations.set(
            turn.incoming.user_id, PendingInput(EVENT_FLOW, data), self.clock.now()
        )
        intro = self.catalog.text(turn.language, "org.edit_intro" if event else "org.new_intro")
        return Outcome((Reply(intro), self._event_prompt(turn.language, data)), turn.language)

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

    def _event_prompt(self, lang: str, data: dict[str, str]) -> Reply:
        step = data["step"]
        kind, _, language = step.partition("_")
        text = self.catalog.text
        if kind in ("title", "description") and language in self.catalog.languages:
            prompt = text(
                lang, f"org.ask_{kind}", language=self.catalog.languages[language].native_name
            )
        else:
            prompt = text(lang, f"org.ask_{step}")
        rows: list[tuple[Button, ...]] = []
        if step == "timezone":
            zones = self.catalog.timezones
            buttons = [
                Button(z.split("/")[-1].replace("_", " "), data=callbacks.encode("nz", i))
                for i, z in enumerate(zones)
            ]
            rows += [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
        elif step == "region":
            buttons = [
                Button(name, data=callbacks.encode("nr", key))
                for key, name in self.catalog.region_names(lang)
            ]
            rows += [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
        elif step == "audience":
            rows.append(
                tuple(
                    Button(text(lang, f"events.audience.{a}"), data=callbacks.encode("na", a))
                    for a in AUDIENCES
                )
            )
        current = data.get(step)
        if current:
            prompt += "\n\n" + text(lang, "org.current", value=current[:300])
            rows.append((Button(text(lang, "org.keep"), data=callbacks.encode("nk", step)),))
        elif step in OPTIONAL:
            rows.append((Button(text(lang, "org.skip"), data=callbacks.encode("nk", step)),))
        rows.append(self._cancel_row(lang)[0])
        return Reply(prompt, buttons=tuple(rows))

    async def event_input(self, turn: Turn, pending: PendingInput, text: str) -> Outcome:
        data = dict(pending.data)
        step = data.get("step", "")
        problem = self._accept(step, text.strip(), data)
        if problem is not None:
            reply = Reply(self._problem_text(turn.language, problem))
            return Outcome((reply, self._event_prompt(turn.language, data)), turn.language)
        return await self._next_event_step(turn, data)

    def _accept(self, step: str, value: str, data: dict[str, str]) -> Problem | None:
        """Check one typed answer and store it; the problem when it cannot be taken."""
        kind, _, _ = step.partition("_")
        now = self.clock.now()
        if kind in ("title", "description") and step.startswith(f"{kind}_"):
            length = LENGTHS[kind]
            if not length.least <= len(value) <= length.most:
                return Problem(f"{kind}_length", {"max": str(length.most)})
        elif step == "timezone":
            if not valid_zone(value):
                return Problem("unknown_timezone", {"zone": value[:64]})
        elif step in ("start", "end"):
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
        elif step in ("online_url", "link"):
            if not URL.match(value):
                return Problem("bad_url", {"field": step})
        elif step in ("place", "organiser"):
            length = LENGTHS[step]
            if not length.least <= len(value) <= length.most:
                return Problem("too_long", {"field": step, "max": str(length.most)})
        elif step == "region":
            if value not in self.catalog.regions:
                return Problem("unknown_region", {"region": value[:60]})
        elif step == "audience":
            if value not in AUDIENCES:
                return Problem("bad_audience", {"audience": value[:20]})
        else:
            return Problem("bad_step")
        data[step] = value
        return None

    def _when(self, value: str, data: dict[str, str], step: str) -> dt.datetime | None:
        zone_name = data.get("timezone", "")
        if not valid_zone(zone_name):
            return None
        zone = ZoneInfo(zone_name)
        match = WHEN.match(value)
        try:
            if match:
                y, mo, d, h, mi = (int(g) for g in match.groups())
                return dt.datetime(y, mo, d, h, mi, tzinfo=zone)
            only = TIME_ONLY.match(value)
            if only and step == "end" and WHEN.match(data.get("start", "")):
                start = self._when(data["start"], data, "start")
                assert start is not None
                return start.replace(hour=int(only.group(1)), minute=int(only.group(2)))
        except ValueError:
            return None
        return None

    async def _next_event_step(self, turn: Turn, data: dict[str, str]) -> Outcome:
        steps = self.event_steps
        index = steps.index(data["step"]) + 1
        if index < len(steps):
            data["step"] = steps[index]
            await self.conversations.set(
                turn.incoming.user_id, PendingInput(EVENT_FLOW, data), self.clock.now()
            )
            return Outcome((self._event_prompt(turn.language, data),), turn.language)
        data["step"] = "preview"
        await self.conversations.set(
            turn.incoming.user_id, PendingInput(EVENT_FLOW, data), self.clock.now()
        )
        return self._event_preview(turn, data)

    def _draft(self, data: dict[str, str], user: int) -> EventDraft:
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

    def _event_preview(self, turn: Turn, data: dict[str, str]) -> Outcome:
        lang = turn.language
        draft = self._draft(data, turn.incoming.user_id)
        problems = check_draft(
            draft, self.clock.now(), self.catalog.languages, self.catalog.regions
        )
        card = self.event_list.card_text(
            lang, EventRecord(0, draft, "active", 0), ZoneInfo(draft.timezone or "UTC")
        )
        header = self.catalog.text(lang, "org.preview")
        if problems:
            lines = [self.catalog.text(lang, "org.problems")] + [
                "• " + self._problem_text(lang, p) for p in problems
            ]
            return Outcome(
                (
                    Reply(header + "\n\n" + card),
                    Reply("\n".join(lines), buttons=self._cancel_row(lang)),
                ),
                lang,
            )
        buttons = (
            (
                Button(self.catalog.text(lang, "org.save"), data="nsave"),
                Button(self.catalog.text(lang, "org.cancel"), data="nx"),
            ),
        )
        return Outcome((Reply(header + "\n\n" + card, buttons=buttons),), lang)

    async def _save_event(self, turn: Turn, data: dict[str, str]) -> Outcome:
        lang, user = turn.language, turn.incoming.user_id
        now = self.clock.now()
        draft = self._draft(data, user)
        problems = check_draft(draft, now, self.catalog.languages, self.catalog.regions)
        if problems:
            return self._event_preview(turn, data)
        saved = await self.event_service.save(draft, Origin(user), now)
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
                Button(self.catalog.text(lang, "org.cancel_event_no"), data="nx"),
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
        cancelled = await self.event_service.cancel(
            event_id, Origin(turn.incoming.user_id), self.clock.now()
        )
        if cancelled is None:
            return None
        return self._say_counted(turn, "org.event_cancelled", cancelled.told)

    # --- announcements --------------------------------------------------------------------

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
            waiting = sum(counts.get(s, 0) for s in ("pending", "claimed", "sending"))
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
                    sent=number(lang, counts.get("sent", 0)),
                    failed=number(lang, counts.get("failed", 0) + counts.get("uncertain", 0)),
                    blocked=number(lang, counts.get("blocked", 0)),
                )
            )
            if record.status != "cancelled" and (record.status != "queued" or waiting):
                rows.append(
                    (
                        Button(
                            self.catalog.text(lang, "ann.cancel_button", id=record.id),
                            data=callbacks.encode("bx", record.id),
                        ),
                    )
                )
        return Outcome((Reply("\n\n".join(lines), buttons=tuple(rows)),), lang)

    # --- organisers and figures -----------------------------------------------------------

    async def _organiser_admin(self, turn: Turn) -> Outcome:
        args = turn.incoming.args
        user, now = turn.incoming.user_id, self.clock.now()
        if len(args) == 2 and args[0] in ("add", "remove") and args[1].isdigit():
            target = int(args[1])
            if args[0] == "add":
                changed = await self.organisers.add(target, Origin(user), now)
            else:
                changed = await self.organisers.remove(target, Origin(user), now)
            key = {"add": "org.organiser_added", "remove": "org.organiser_removed"}[args[0]]
            return self._say(turn, key if changed else key + "_noop", id=target)
        listed = await self.roles.organisers()
        people = ", ".join(str(i) for i in listed) or "–"
        return self._say(
            turn,
            "org.organisers",
            admins=", ".join(str(i) for i in sorted(self.admins)),
            people=people,
        )

    async def _stats(self, turn: Turn) -> Outcome:
        lang = turn.language
        stats = await self.stats.collect(self.clock.now(), STATS_DAYS)
        text, plural, number = self.catalog.text, self.catalog.plural, self.catalog.number

        def table(counts: dict[str, int], name: Any = str) -> str:
            return (
                ", ".join(
                    f"{name(k)}: {number(lang, v)}"
                    for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
                )
                or "–"
            )

        checklist_names = {c.id: c.title for c in self.catalog.checklists[lang].values()}
        lines = [
            plural(lang, "stats.title", STATS_DAYS),
            text(lang, "stats.languages", values=table(stats.users_by_language)),
            text(lang, "stats.audiences", values=table(stats.subscribers_by_audience)),
            text(
                lang,
                "stats.regions",
                values=table(
                    stats.users_by_region,
                    lambda k: self.catalog.region_name(lang, k) if k != "-" else "–",
                ),
            ),
            text(lang, "stats.sent", values=table(stats.sent_by_kind)),
            text(
                lang,
                "stats.topics",
                values=", ".join(f"{t}: {number(lang, n)}" for t, n in stats.top_topics) or "–",
            ),
            text(lang, "stats.unanswered", number=number(lang, stats.unanswered)),
            text(lang, "stats.checklists"),
        ]
        for row in stats.checklists:
            average = "–" if row.average_score is None else f"{row.average_score:.0f}%"
            lines.append(
                self.catalog.html(
                    lang,
                    "stats.checklist_line",
                    name=escape(checklist_names.get(row.checklist, row.checklist)),
                    finished=plural(lang, "stats.finished", row.finished),
                    average=average,
                    in_progress=plural(lang, "stats.in_progress", row.in_progress),
                )
            )
        labels = {
            key: text(lang, f"stats.chart.{key}")
            for key in (
                "title",
                "new_users",
                "topics",
                "over_time.language",
                "over_time.audience",
                "over_time.region",
            )
        }
        chart = Document(
            "stats.png",
            await self.charts.stats_png(stats, labels),
            "image/png",
            text(lang, "stats.chart.caption"),
        )
        await self.audit.record(turn.incoming.user_id, "stats_viewed", {}, self.clock.now())
        return Outcome(
            (Reply("\n".join(lines)), Reply("", document=chart)), lang, events=("stats",)
        )

    # --- buttons ----------------------------------------------------------------------------

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        if data.action not in ORGANISER_ACTIONS:
            return None
        user = turn.incoming.user_id
        if not await self.is_organiser(user):
            return self._refused(turn)
        if data.action == "ecx" and len(data.args) == 1 and data.args[0].isdigit():
            return await self._cancel_event(turn, int(data.args[0]))
        if data.action == "bx" and len(data.args) == 1 and data.args[0].isdigit():
            record = await self.announcements.cancel(
                int(data.args[0]), Origin(user), self.clock.now()
            )
            if record is None:
                return None
            return self._say(turn, "ann.cancelled", id=record.id)
        pending = await self.conversations.get(user)
        if data.action == "nx":
            await self.conversations.clear(user)
            return self._say(turn, "org.cancelled")
        if pending is None:
            return None
        flow_data = dict(pending.data)
        step = flow_data.get("step")
        if pending.flow == EVENT_FLOW:
            return await self._event_button(turn, data, flow_data, step)
        if pending.flow == ANNOUNCE_FLOW:
            return await self._announce_button(turn, data, flow_data, step)
        return None

    async def _event_button(
        self, turn: Turn, data: callbacks.Callback, flow: dict[str, str], step: str | None
    ) -> Outcome | None:
        match data.action, data.args:
            case "nk", (name,) if name == step and (flow.get(name) or name in OPTIONAL):
                return await self._next_event_step(turn, flow)
            case "nz", (index,) if (
                step == "timezone" and index.isdigit() and int(index) < len(self.catalog.timezones)
            ):
                flow["timezone"] = self.catalog.timezones[int(index)]
                return await self._next_event_step(turn, flow)
            case "nr", (region,) if step == "region" and region in self.catalog.regions:
                flow["region"] = region
                return await self._next_event_step(turn, flow)
            case "na", (audience,) if step == "audience" and audience in AUDIENCES:
                flow["audience"] = audience
                return await self._next_event_step(turn, flow)
            case "nsave", () if step == "preview":
                return await self._save_event(turn, flow)
        return None

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

    # --- helpers ----------------------------------------------------------------------------

    def _problem_text(self, lang: str, problem: Problem) -> str:
        values = dict(problem.values)
        if "language" in values and values["language"] in self.catalog.languages:
            values["language"] = self.catalog.languages[values["language"]].native_name
        key = f"event.problem.{problem.code}"
        if "max" in values:  # a limit: the words agree with it ("at most 1 character")
            return self.catalog.plural(lang, key, int(values.pop("max")), **values)
        return self.catalog.text(lang, key, **values)

    def _cancel_row(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(self.catalog.text(lang, "org.cancel"), data="nx"),),)

    def _say(
        self, turn: Turn, key: str, buttons: tuple[tuple[Button, ...], ...] = (), **values: object
    ) -> Outcome:
        return Outcome(
            (Reply(self.catalog.text(turn.language, key, **values), buttons=buttons),),
            turn.language,
        )

    def _say_counted(
        self,
        turn: Turn,
        key: str,
        count: int,
        buttons: tuple[tuple[Button, ...], ...] = (),
        **values: object,
    ) -> Outcome:
        text = self.catalog.plural(turn.language, key, count, **values)
        return Outcome((Reply(text, buttons=buttons),), turn.language)


ORGANISER_ACTIONS = frozenset(
    {
        "nk",
        "nz",
        "nr",
        "na",
        "nsave",
        "nx",
        "ecx",
        "bx",
        "ab",
        "aa",
        "al",
        "ar",
        "aar",
        "ae",
        "aae",
        "as",
        "ash",
        "asy",
    }
)
