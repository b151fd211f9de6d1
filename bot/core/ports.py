"""The small interfaces through which the core reaches the outside world."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.core.events import EventDraft
from bot.core.flood import Verdict
from bot.core.report import ChecklistReport


@dataclass(frozen=True, slots=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Parse:
    """The NLU's reading of a message: intents best first, and the entities it found."""

    ranking: tuple[IntentScore, ...]
    entities: tuple[Entity, ...] = ()


class NLUUnavailable(Exception):
    """The NLU did not answer in time or answered with an error."""


class NLU(Protocol):
    async def parse(self, text: str) -> Parse: ...


@dataclass(frozen=True, slots=True)
class UserRecord:
    user_id: int
    language: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    region: str | None = None


class Users(Protocol):
    async def get(self, user_id: int) -> UserRecord | None: ...

    async def touch(self, user_id: int, language: str, now: dt.datetime) -> UserRecord:
        """Create the user with `language` if new, otherwise update last_seen only."""
        ...

    async def set_language(self, user_id: int, language: str) -> None: ...

    async def set_region(self, user_id: int, region: str | None) -> None: ...


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    user_id: int
    audience: str
    send_minute: int
    timezone: str
    active: bool


class Subscriptions(Protocol):
    async def get(self, user_id: int) -> SubscriptionRecord | None: ...

    async def save(
        self, user_id: int, audience: str, send_minute: int, timezone: str, now: dt.datetime
    ) -> SubscriptionRecord:
        """Create or change the subscription and make it active from the next send time."""
        ...

    async def deactivate(self, user_id: int, now: dt.datetime) -> bool:
        """Stop the tips; False when there was no active subscription."""
        ...


@dataclass(frozen=True, slots=True)
class PendingInput:
    """A question the bot asked and whose typed answer it waits for."""

    flow: str
    data: dict[str, str]


class Conversations(Protocol):
    async def get(self, user_id: int) -> PendingInput | None: ...

    async def set(self, user_id: int, pending: PendingInput, now: dt.datetime) -> None: ...

    async def clear(self, user_id: int) -> None: ...


class FirstReads(Protocol):
    """What a free-text message is read with before anything else, in one statement where the
    database allows it (PostgreSQL, bot/storage/first_reads.py): the message counted for flood
    control (`FloodControl.check`), the user touched (`Users.touch`: made with `language` when
    new, its last-seen time renewed at most once a quarter hour) and the pending question
    (`Conversations.get`)."""

    async def read(
        self, user_id: int, language: str, now: dt.datetime
    ) -> tuple[Verdict, UserRecord, PendingInput | None]: ...


class Unanswered(Protocol):
    """Messages the NLU could not place, kept without who sent them, for organisers to review."""

    async def record(
        self,
        text: str,
        language: str,
        best_guess: str | None,
        confidence: float,
        now: dt.datetime,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class ChecklistRun:
    """One attempt at a checklist: answers by item key (scope questions too)."""

    run_id: int
    user_id: int
    checklist: str
    answers: dict[str, str]
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    score: int | None = None


@dataclass(frozen=True, slots=True)
class ChecklistStats:
    checklist: str
    finished: int
    average_score: float | None
    in_progress: int


class ChecklistRuns(Protocol):
    async def get(self, run_id: int) -> ChecklistRun | None: ...

    async def open_run(self, user_id: int, checklist: str) -> ChecklistRun | None:
        """The user's unfinished attempt at this checklist, if any."""
        ...

    async def start(self, user_id: int, checklist: str, now: dt.datetime) -> ChecklistRun:
        """A new attempt, or the unfinished one if there is one (a double press starts one)."""
        ...

    async def answer(self, run_id: int, key: str, value: str) -> ChecklistRun | None:
        """Record one answer of an unfinished run; None when the run is finished or gone."""
        ...

    async def finish(self, run_id: int, score: int, now: dt.datetime) -> ChecklistRun | None: ...

    async def previous(self, user_id: int, checklist: str, before: int) -> ChecklistRun | None:
        """The last finished attempt before run `before`."""
        ...

    async def stats(self) -> list[ChecklistStats]:
        """Anonymous aggregates for organisers."""
        ...


class PersonalData(Protocol):
    """Everything stored about one user, to show it to them or erase it."""

    async def export(self, user_id: int) -> dict[str, object]: ...

    async def erase(self, user_id: int) -> int:
        """Delete every row that refers to the user; the number of rows deleted."""
        ...


class ReportRenderer(Protocol):
    async def checklist_pdf(self, report: ChecklistReport) -> bytes:
        """Drawn off the event loop: a report takes about 0.1 s of CPU."""
        ...


class EventStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    draft: EventDraft
    status: str  # an EventStatus
    version: int

    @property
    def active(self) -> bool:
        return self.status == EventStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class EventFilter:
    region: str | None = None
    mode: str | None = None  # "online" | "in_person" | None for both


# What storing an event did: a new event, a new version, or nothing (the same content again).
Change = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event: EventRecord
    change: Change


class Events(Protocol):
    async def get(self, event_id: int) -> EventRecord | None: ...

    async def by_key(self, key: str) -> EventRecord | None:
        """The event stored under `key`, whatever its status (saving that key updates it)."""
        ...

    async def upcoming(
        self, now: dt.datetime, where: EventFilter, offset: int, limit: int
    ) -> tuple[list[EventRecord], int]:
        """Active events that have not ended, soonest first, and how many there are in all."""
        ...

    async def save(self, draft: EventDraft, by: int | None, now: dt.datetime) -> EventRecord:
        """`store`, for setting up tests: the bot saves through bot.services.events."""
        ...

    async def store(self, draft: EventDraft, by: int | None, now: dt.datetime) -> StoredEvent:
        """Create, or update the event with the same key (its version grows on a change only).
        Only bot.services.events calls this: saving an event is more than storing it."""
        ...

    async def cancel(self, event_id: int, now: dt.datetime) -> EventRecord | None: ...


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    language: str
    timezone: str | None


class EventFiles(Protocol):
    """Events shipped with the content (data/events/), read and checked."""

    async def drafts(self, checked_as_of: dt.datetime) -> list[EventDraft]: ...


class Reminders(Protocol):
    async def add(self, user_id: int, event_id: int, now: dt.datetime) -> bool: ...

    async def remove(self, user_id: int, event_id: int) -> bool: ...

    async def has(self, user_id: int, event_id: int) -> bool: ...

    async def recipients(self, event_id: int, after: int | None, limit: int) -> list[Recipient]:
        """Who asked to be reminded, in user id order from after `after` (keyset paging)."""
        ...


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A message the bot will send on its own initiative, through the delivery engine."""

    key: str  # idempotency: the same key is never sent twice
    user_id: int
    kind: str
    payload: dict[str, Any]
    not_before: dt.datetime
    expires_at: dt.datetime | None = None
    ref: str | None = None


class Deliveries(Protocol):
    async def schedule(self, items: Sequence[Scheduled], now: dt.datetime) -> None: ...

    async def cancel_pending(self, ref: str, now: dt.datetime) -> int:
        """Drop what is still waiting under `ref`; what is being sent is left to finish."""
        ...

    async def replace(
        self, refs: Sequence[str], items: Sequence[Scheduled], now: dt.datetime
    ) -> int:
        """Drop what waits under any of `refs`, then schedule `items`, in one transaction (a
        statement for all of `refs`, not one per ref); the number of items dropped."""
        ...

    async def counts(self, ref: str) -> dict[str, int]: ...

    async def counts_by_ref(self, refs: Sequence[str]) -> dict[str, dict[str, int]]:
        """`counts` of each of `refs` in one statement (a page of announcements); a ref with
        no messages is left out."""
        ...


class Roles(Protocol):
    async def organisers(self) -> list[int]: ...

    async def is_organiser(self, user_id: int) -> bool: ...

    async def add_organiser(self, user_id: int, by: int, now: dt.datetime) -> bool: ...

    async def remove_organiser(self, user_id: int) -> bool: ...

    async def staff(self) -> list[StaffRecord]:
        """Everyone stored (not the ORGANISER_IDS admins), by user id."""
        ...

    async def staff_member(self, user_id: int) -> StaffRecord | None: ...

    async def set_staff(
        self, user_id: int, role: str, regions: frozenset[str], by: int | None, now: dt.datetime
    ) -> bool:
        """Add them, or change their role and regions; False when nothing changed."""
        ...


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A stored organiser: role (a bot.core.roles.Role) and regions (empty: every region)."""

    user_id: int
    role: str
    regions: frozenset[str]
    added_by: int | None
    added_at: dt.datetime


class Audit(Protocol):
    async def record(
        self, actor: int | None, action: str, details: dict[str, Any], now: dt.datetime
    ) -> None:
        """`actor` is the organiser's user id; None for the command line (details say who)."""
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """A page of the audit log, newest first; every field set narrows it."""

    actor: int | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: dt.datetime
    actor: int | None
    action: str
    details: dict[str, Any]


class AuditLog(Protocol):
    async def search(self, query: AuditQuery) -> tuple[list[AuditRecord], int]:
        """The entries of the page and how many match in all."""
        ...

    async def actions(self) -> list[str]:
        """Every action name that occurs, for the filter."""
        ...


class SignInLinks(Protocol):
    """One-time sign-in links: only a hash of the token is stored."""

    async def issue(
        self, token_hash: str, user_id: int, expires: dt.datetime, now: dt.datetime
    ) -> None: ...

    async def redeem(self, token_hash: str, now: dt.datetime) -> int | None:
        """The user the link was for, once: the link is used up; None when unknown, used or
        expired."""
        ...


@dataclass(frozen=True, slots=True)
class Audience:
    """Who an announcement goes to; every field narrows it, none means everyone."""

    segment: str = "all"  # all | citizen | business (the daily-tips audience)
    language: str | None = None
    region: str | None = None
    event_id: int | None = None  # people who asked for reminders of this event

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "language": self.language,
            "region": self.region,
            "event_id": self.event_id,
        }


class BroadcastStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waits for its time
    FANNING_OUT = "fanning_out"  # its messages are being put into the outbox, in batches
    QUEUED = "queued"  # every message is in the outbox
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: int
    created_by: int | None
    payload: dict[str, Any]
    audience: Audience
    status: str  # a BroadcastStatus
    send_at: dt.datetime
    queued: int


class Broadcasts(Protocol):
    async def create(
        self,
        by: int,
        payload: dict[str, Any],
        audience: Audience,
        send_at: dt.datetime,
        now: dt.datetime,
    ) -> BroadcastRecord: ...

    async def get(self, broadcast_id: int) -> BroadcastRecord | None: ...

    async def recent(self, limit: int) -> list[BroadcastRecord]: ...

    async def audience_size(self, audience: Audience) -> int: ...

    async def cancel(self, broadcast_id: int, now: dt.datetime) -> BroadcastRecord | None:
        """Stop a scheduled or running broadcast: nothing more is queued, what waits is dropped."""
        ...


@dataclass(frozen=True, slots=True)
class Stats:
    users_by_language: dict[str, int]
    subscribers_by_audience: dict[str, int]
    users_by_region: dict[str, int]
    new_users_by_day: list[tuple[dt.date, int]]
    # Running totals per day over the window: "language" / "audience" / "region" -> series ->
    # [(day, total that day)].
    over_time: dict[str, dict[str, list[tuple[dt.date, int]]]]
    sent_by_kind: dict[str, int]
    top_topics: list[tuple[str, int]]
    unanswered: int
    checklists: list[ChecklistStats]


class StatsSource(Protocol):
    async def collect(self, now: dt.datetime, days: int) -> Stats: ...

    async def count_topic(self, topic: str, now: dt.datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class DayCount:
    day: dt.date
    key: str
    value: int


class Rollups(Protocol):
    """The organisers' daily figures (bot.core.rollups names the metrics). `regions` narrows
    them to users of those regions ("" is users without one); empty means every region.
    Metrics that have no region (bot.core.rollups.REGIONLESS) are never narrowed."""

    async def daily(
        self, metrics: Sequence[str], since: dt.date, until: dt.date, regions: frozenset[str]
    ) -> dict[str, list[DayCount]]:
        """Per metric, per day and key, summed over the regions, for the days from `since` to
        `until` (one read for them all)."""
        ...

    async def snapshot(
        self, metrics: Sequence[str], on: dt.date, regions: frozenset[str]
    ) -> dict[str, tuple[dt.date | None, dict[tuple[str, str], int]]]:
        """Per metric, the last snapshot taken on or before `on` (its day) as (region, key) ->
        value."""
        ...

    async def snapshot_at(self) -> dt.datetime | None:
        """When the last snapshot of users and subscribers was taken (None: never)."""
        ...


class ChartRenderer(Protocol):
    async def stats_png(self, stats: Stats, labels: dict[str, str]) -> bytes:
        """Drawn off the event loop: a chart takes most of a second of CPU."""
        ...


ImageProblem = Literal["too_large", "not_an_image", "timeout", "no_text"]


class ImageUnreadable(Exception):
    """An image could not be read: too large, not an image, too slow, or no text found."""

    def __init__(self, reason: ImageProblem) -> None:
        super().__init__(reason)
        self.reason: ImageProblem = reason


class ImageReader(Protocol):
    async def read(self, image: bytes, languages: Sequence[str]) -> str:
        """The text in `image` (a screenshot), read off the event loop in the given languages
        (language codes such as "bg", "en"); raises ImageUnreadable."""
        ...


class CalendarRenderer(Protocol):
    def event_ics(
        self, draft: EventDraft, language: str, cancelled: bool, sequence: int
    ) -> bytes: ...


@dataclass(frozen=True, slots=True)
class EventPorts:
    """What events, reminders, announcements and the organisers' tools reach the outside with."""

    events: Events
    reminders: Reminders
    deliveries: Deliveries
    calendar: CalendarRenderer
    roles: Roles
    audit: Audit
    broadcasts: Broadcasts
    stats: StatsSource
    charts: ChartRenderer


@dataclass(frozen=True, slots=True)
class CheckedMessage:
    """A message a user had checked and agreed to let the bot keep: scrubbed (bot/core/
    unanswered.py), without the sender, for organisers to spot new scam waves."""

    text: str
    language: str
    verdict: str
    score: int
    flags: tuple[str, ...]


class CheckedMessages(Protocol):
    async def keep(self, user_id: int, message: CheckedMessage, now: dt.datetime) -> None: ...
