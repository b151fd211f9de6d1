"""Hand-written fakes for the core's ports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.events import EventDraft
from bot.core.outbox_status import Status
from bot.core.ports import (
    Audience,
    BroadcastRecord,
    BroadcastStatus,
    ChecklistRun,
    ChecklistStats,
    Entity,
    EventFilter,
    EventPorts,
    EventRecord,
    EventStatus,
    IntentScore,
    NLUUnavailable,
    Parse,
    PendingInput,
    Recipient,
    Scheduled,
    StaffRecord,
    Stats,
    StoredEvent,
    SubscriptionRecord,
    UserRecord,
)
from bot.core.report import ChecklistReport
from bot.core.schedule import next_send


def parse_of(*ranking: tuple[str, float], entities: tuple[tuple[str, str], ...] = ()) -> Parse:
    return Parse(
        ranking=tuple(IntentScore(name, confidence) for name, confidence in ranking),
        entities=tuple(Entity(name, value) for name, value in entities),
    )


class FakeNLU:
    """Answers from a table of text -> Parse, or raises NLUUnavailable when `down`."""

    def __init__(
        self, table: dict[str, Parse] | None = None, default: Callable[[str], Parse] | None = None
    ) -> None:
        self.table = table or {}
        self.default = default or (lambda _text: parse_of(("out_of_scope", 0.9)))
        self.down = False
        self.seen: list[str] = []

    async def parse(self, text: str) -> Parse:
        self.seen.append(text)
        if self.down:
            raise NLUUnavailable("down")
        return self.table.get(text) or self.default(text)


class MemoryUsers:
    def __init__(self) -> None:
        self.rows: dict[int, UserRecord] = {}

    async def get(self, user_id: int) -> UserRecord | None:
        return self.rows.get(user_id)

    async def touch(self, user_id: int, language: str, now: dt.datetime) -> UserRecord:
        row = self.rows.get(user_id)
        if row is None:
            row = UserRecord(user_id, language, now, now)
        else:
            row = replace(row, last_seen=now)
        self.rows[user_id] = row
        return row

    async def set_language(self, user_id: int, language: str) -> None:
        row = self.rows[user_id]
        self.rows[user_id] = replace(row, language=language)

    async def set_region(self, user_id: int, region: str | None) -> None:
        self.rows[user_id] = replace(self.rows[user_id], region=region)


class FixedClock:
    def __init__(self, now: dt.datetime) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)


class MemorySubscriptions:
    def __init__(self) -> None:
        self.rows: dict[int, SubscriptionRecord] = {}
        self.next_due: dict[int, dt.datetime | None] = {}

    async def get(self, user_id: int) -> SubscriptionRecord | None:
        return self.rows.get(user_id)

    async def save(
        self, user_id: int, audience: str, send_minute: int, timezone: str, now: dt.datetime
    ) -> SubscriptionRecord:
        row = SubscriptionRecord(user_id, audience, send_minute, timezone, True)
        self.rows[user_id] = row
        self.next_due[user_id] = next_send(now, send_minute, ZoneInfo(timezone))
        return row

    async def deactivate(self, user_id: int, now: dt.datetime) -> bool:
        row = self.rows.get(user_id)
        if row is None or not row.active:
            return False
        self.rows[user_id] = SubscriptionRecord(
            user_id, row.audience, row.send_minute, row.timezone, False
        )
        self.next_due[user_id] = None
        return True


class MemoryConversations:
    def __init__(self) -> None:
        self.rows: dict[int, PendingInput] = {}

    async def get(self, user_id: int) -> PendingInput | None:
        return self.rows.get(user_id)

    async def set(self, user_id: int, pending: PendingInput, now: dt.datetime) -> None:
        self.rows[user_id] = pending

    async def clear(self, user_id: int) -> None:
        self.rows.pop(user_id, None)


class MemoryUnanswered:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str | None, float]] = []

    async def record(
        self,
        text: str,
        language: str,
        best_guess: str | None,
        confidence: float,
        now: dt.datetime,
    ) -> None:
        self.rows.append((text, language, best_guess, confidence))


class MemoryChecklistRuns:
    def __init__(self) -> None:
        self.rows: dict[int, ChecklistRun] = {}

    async def get(self, run_id: int) -> ChecklistRun | None:
        return self.rows.get(run_id)

    async def open_run(self, user_id: int, checklist: str) -> ChecklistRun | None:
        runs = [
            r
            for r in self.rows.values()
            if r.user_id == user_id and r.checklist == checklist and r.finished_at is None
        ]
        return runs[-1] if runs else None

    async def start(self, user_id: int, checklist: str, now: dt.datetime) -> ChecklistRun:
        running = await self.open_run(user_id, checklist)
        if running is not None:
            return running
        run = ChecklistRun(len(self.rows) + 1, user_id, checklist, {}, now)
        self.rows[run.run_id] = run
        return run

    async def answer(self, run_id: int, key: str, value: str) -> ChecklistRun | None:
        run = self.rows.get(run_id)
        if run is None or run.finished_at is not None:
            return None
        self.rows[run_id] = replace(run, answers={**run.answers, key: value})
        return self.rows[run_id]

    async def finish(self, run_id: int, score: int, now: dt.datetime) -> ChecklistRun | None:
        run = self.rows.get(run_id)
        if run is None:
            return None
        if run.finished_at is None:
            self.rows[run_id] = replace(run, finished_at=now, score=score)
        return self.rows[run_id]

    async def previous(self, user_id: int, checklist: str, before: int) -> ChecklistRun | None:
        runs = [
            r
            for r in self.rows.values()
            if r.user_id == user_id
            and r.checklist == checklist
            and r.finished_at is not None
            and r.run_id < before
        ]
        return runs[-1] if runs else None

    async def stats(self) -> list[ChecklistStats]:
        names = sorted({r.checklist for r in self.rows.values()})
        out = []
        for name in names:
            runs = [r for r in self.rows.values() if r.checklist == name]
            scores = [r.score for r in runs if r.finished_at is not None and r.score is not None]
            out.append(
                ChecklistStats(
                    name,
                    len(scores),
                    sum(scores) / len(scores) if scores else None,
                    sum(1 for r in runs if r.finished_at is None),
                )
            )
        return out


class MemoryPersonalData:
    """Reads and erases the other memory fakes, as the SQL version does the tables."""

    def __init__(
        self,
        users: MemoryUsers,
        subscriptions: MemorySubscriptions,
        conversations: MemoryConversations,
        runs: MemoryChecklistRuns,
    ) -> None:
        self.users, self.subscriptions = users, subscriptions
        self.conversations, self.runs = conversations, runs

    async def export(self, user_id: int) -> dict[str, object]:
        return {
            "users": [repr(self.users.rows[user_id])] if user_id in self.users.rows else [],
            "subscriptions": [repr(r) for k, r in self.subscriptions.rows.items() if k == user_id],
            "conversation_state": [
                repr(r) for k, r in self.conversations.rows.items() if k == user_id
            ],
            "checklist_runs": [repr(r) for r in self.runs.rows.values() if r.user_id == user_id],
        }

    async def erase(self, user_id: int) -> int:
        erased = 0
        for rows in (self.users.rows, self.subscriptions.rows, self.conversations.rows):
            erased += rows.pop(user_id, None) is not None
        for run_id in [k for k, r in self.runs.rows.items() if r.user_id == user_id]:
            del self.runs.rows[run_id]
            erased += 1
        return erased


class FakeRenderer:
    def __init__(self) -> None:
        self.reports: list[ChecklistReport] = []

    async def checklist_pdf(self, report: ChecklistReport) -> bytes:
        self.reports.append(report)
        return b"%PDF-1.4 fake"


class MemoryEvents:
    def __init__(self) -> None:
        self.rows: dict[int, EventRecord] = {}

    async def get(self, event_id: int) -> EventRecord | None:
        return self.rows.get(event_id)

    async def by_key(self, key: str) -> EventRecord | None:
        return next((r for r in self.rows.values() if r.draft.key == key), None)

    async def upcoming(
        self, now: dt.datetime, where: EventFilter, offset: int, limit: int
    ) -> tuple[list[EventRecord], int]:
        found = [
            e
            for e in self.rows.values()
            if e.active
            and e.draft.end > now
            and (where.region is None or e.draft.region == where.region)
            and (where.mode != "online" or e.draft.online_url)
            and (where.mode != "in_person" or e.draft.place)
        ]
        found.sort(key=lambda e: (e.draft.start, e.id))
        return found[offset : offset + limit], len(found)

    async def save(self, draft: EventDraft, by: int | None, now: dt.datetime) -> EventRecord:
        return (await self.store(draft, by, now)).event

    async def store(self, draft: EventDraft, by: int | None, now: dt.datetime) -> StoredEvent:
        for record in self.rows.values():
            if record.draft.key == draft.key:
                if record.draft == draft and record.active:
                    return StoredEvent(record, "unchanged")
                updated = EventRecord(record.id, draft, EventStatus.ACTIVE, record.version + 1)
                self.rows[record.id] = updated
                return StoredEvent(updated, "updated")
        record = EventRecord(len(self.rows) + 1, draft, EventStatus.ACTIVE, 1)
        self.rows[record.id] = record
        return StoredEvent(record, "created")

    async def cancel(self, event_id: int, now: dt.datetime) -> EventRecord | None:
        record = self.rows.get(event_id)
        if record is None:
            return None
        if record.active:
            record = EventRecord(record.id, record.draft, EventStatus.CANCELLED, record.version + 1)
            self.rows[event_id] = record
        return record


class MemoryReminders:
    def __init__(self, users: MemoryUsers) -> None:
        self.users = users
        self.rows: set[tuple[int, int]] = set()

    async def add(self, user_id: int, event_id: int, now: dt.datetime) -> bool:
        new = (user_id, event_id) not in self.rows
        self.rows.add((user_id, event_id))
        return new

    async def remove(self, user_id: int, event_id: int) -> bool:
        had = (user_id, event_id) in self.rows
        self.rows.discard((user_id, event_id))
        return had

    async def has(self, user_id: int, event_id: int) -> bool:
        return (user_id, event_id) in self.rows

    async def recipients(self, event_id: int, after: int | None, limit: int) -> list[Recipient]:
        users = sorted(u for u, e in self.rows if e == event_id and (after is None or u > after))
        return [
            Recipient(u, self.users.rows[u].language if u in self.users.rows else "en", None)
            for u in users[:limit]
        ]


class MemoryDeliveries:
    def __init__(self) -> None:
        self.items: dict[str, Scheduled] = {}
        self.status: dict[str, str] = {}

    async def schedule(self, items: Sequence[Scheduled], now: dt.datetime) -> None:
        for item in items:
            if item.key not in self.items:
                self.items[item.key] = item
                self.status[item.key] = Status.PENDING

    async def cancel_pending(self, ref: str, now: dt.datetime) -> int:
        keys = [
            k for k, i in self.items.items() if i.ref == ref and self.status[k] == Status.PENDING
        ]
        for key in keys:
            self.status[key] = Status.CANCELLED
        return len(keys)

    async def replace(
        self, refs: Sequence[str], items: Sequence[Scheduled], now: dt.datetime
    ) -> int:
        dropped = sum([await self.cancel_pending(ref, now) for ref in refs])
        await self.schedule(items, now)
        return dropped

    async def counts(self, ref: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for key, item in self.items.items():
            if item.ref == ref:
                counts[self.status[key]] = counts.get(self.status[key], 0) + 1
        return counts

    async def counts_by_ref(self, refs: Sequence[str]) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for key, item in self.items.items():
            if item.ref is not None and item.ref in refs:
                counts = found.setdefault(item.ref, {})
                counts[self.status[key]] = counts.get(self.status[key], 0) + 1
        return found

    def pending(self) -> list[Scheduled]:
        return [i for k, i in self.items.items() if self.status[k] == Status.PENDING]


class MemoryRoles:
    def __init__(self) -> None:
        self.rows: set[int] = set()
        # role and regions of each row (a row without an entry is an organiser of every region)
        self.scopes: dict[int, tuple[str, frozenset[str]]] = {}

    async def organisers(self) -> list[int]:
        return sorted(self.rows)

    async def is_organiser(self, user_id: int) -> bool:
        return user_id in self.rows

    async def add_organiser(self, user_id: int, by: int, now: dt.datetime) -> bool:
        new = user_id not in self.rows
        self.rows.add(user_id)
        return new

    async def remove_organiser(self, user_id: int) -> bool:
        had = user_id in self.rows
        self.rows.discard(user_id)
        self.scopes.pop(user_id, None)
        return had

    async def staff(self) -> list[StaffRecord]:
        return [r for r in [await self.staff_member(u) for u in sorted(self.rows)] if r]

    async def staff_member(self, user_id: int) -> StaffRecord | None:
        if user_id not in self.rows:
            return None
        role, regions = self.scopes.get(user_id, ("organiser", frozenset()))
        return StaffRecord(user_id, role, regions, None, dt.datetime(2026, 10, 1, tzinfo=dt.UTC))

    async def set_staff(
        self, user_id: int, role: str, regions: frozenset[str], by: int | None, now: dt.datetime
    ) -> bool:
        before = await self.staff_member(user_id)
        self.rows.add(user_id)
        self.scopes[user_id] = (role, frozenset(regions))
        return before is None or (before.role, before.regions) != (role, frozenset(regions))


class MemoryAudit:
    def __init__(self) -> None:
        self.rows: list[tuple[int | None, str, dict[str, Any]]] = []

    async def record(
        self, actor: int | None, action: str, details: dict[str, Any], now: dt.datetime
    ) -> None:
        self.rows.append((actor, action, details))


class MemoryBroadcasts:
    def __init__(self, audience_size: int = 3) -> None:
        self.rows: dict[int, BroadcastRecord] = {}
        self.size = audience_size

    async def create(
        self,
        by: int,
        payload: dict[str, Any],
        audience: Audience,
        send_at: dt.datetime,
        now: dt.datetime,
    ) -> BroadcastRecord:
        record = BroadcastRecord(
            len(self.rows) + 1, by, payload, audience, BroadcastStatus.SCHEDULED, send_at, 0
        )
        self.rows[record.id] = record
        return record

    async def get(self, broadcast_id: int) -> BroadcastRecord | None:
        return self.rows.get(broadcast_id)

    async def recent(self, limit: int) -> list[BroadcastRecord]:
        return sorted(self.rows.values(), key=lambda r: -r.id)[:limit]

    async def audience_size(self, audience: Audience) -> int:
        return self.size

    async def cancel(self, broadcast_id: int, now: dt.datetime) -> BroadcastRecord | None:
        record = self.rows.get(broadcast_id)
        if record is None:
            return None
        self.rows[broadcast_id] = replace(record, status=BroadcastStatus.CANCELLED)
        return self.rows[broadcast_id]


class MemoryStats:
    def __init__(self, runs: MemoryChecklistRuns) -> None:
        self.runs = runs
        self.topics: dict[str, int] = {}

    async def count_topic(self, topic: str, now: dt.datetime) -> None:
        self.topics[topic] = self.topics.get(topic, 0) + 1

    async def collect(self, now: dt.datetime, days: int) -> Stats:
        return Stats(
            users_by_language={"en": 1},
            subscribers_by_audience={},
            users_by_region={},
            new_users_by_day=[(now.date(), 1)],
            over_time={"language": {"en": [(now.date(), 1)]}, "audience": {}, "region": {}},
            sent_by_kind={},
            top_topics=sorted(self.topics.items(), key=lambda kv: -kv[1]),
            unanswered=0,
            checklists=await self.runs.stats(),
        )


class FakeCalendar:
    def event_ics(self, draft: EventDraft, language: str, cancelled: bool, sequence: int) -> bytes:
        return f"BEGIN:VCALENDAR\nUID:{draft.key}\nSEQUENCE:{sequence}\nEND:VCALENDAR\n".encode()


class FakeCharts:
    async def stats_png(self, stats: Stats, labels: dict[str, str]) -> bytes:
        return b"\x89PNG fake"


def event_ports(users: MemoryUsers, runs: MemoryChecklistRuns) -> EventPorts:
    return EventPorts(
        events=MemoryEvents(),
        reminders=MemoryReminders(users),
        deliveries=MemoryDeliveries(),
        calendar=FakeCalendar(),
        roles=MemoryRoles(),
        audit=MemoryAudit(),
        broadcasts=MemoryBroadcasts(),
        stats=MemoryStats(runs),
        charts=FakeCharts(),
    )
