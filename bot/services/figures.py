"""The organisers' overview: the figures of a period and a set of regions, read from the
daily rollups (bot.core.rollups names what is counted), and the same figures as CSV rows. One
use case for the dashboard's page, its CSV export and the benchmark."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.ports import DayCount, Rollups
from bot.core.rollups import LATENCY_BUCKETS_MS, UNDERSTANDING, MessageKind, Metric

# The outcomes of a message the bot sent on its own (bot.core.outbox_status names them).
DELIVERY_OUTCOMES = ("sent", "blocked", "failed", "uncertain", "expired", "cancelled")
LONGEST_PERIOD = dt.timedelta(days=366)


class PeriodError(ValueError):
    """A period that ends before it starts, or is longer than a year."""


@dataclass(frozen=True, slots=True)
class Period:
    since: dt.date
    until: dt.date

    @classmethod
    def checked(cls, since: dt.date, until: dt.date) -> Period:
        if until < since or until - since > LONGEST_PERIOD:
            raise PeriodError(f"{since}..{until}")
        return cls(since, until)

    @classmethod
    def last(cls, days: int, today: dt.date) -> Period:
        return cls(today - dt.timedelta(days=days - 1), today)

    def days(self) -> list[dt.date]:
        return [
            self.since + dt.timedelta(days=n) for n in range((self.until - self.since).days + 1)
        ]


@dataclass(frozen=True, slots=True)
class Latency:
    count: int
    mean_ms: float | None
    # Upper bounds of the bucket the median and the 95th percentile fall in (None: above the
    # last bucket, or nothing measured).
    p50_ms: int | None
    p95_ms: int | None
    buckets: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Completion:
    started: int
    finished: int

    @property
    def share(self) -> float | None:
        return self.finished / self.started if self.started else None


@dataclass(frozen=True, slots=True)
class Overview:
    period: Period
    regions: frozenset[str]
    snapshot_day: dt.date | None
    users: int
    users_by_language: dict[str, int]
    users_by_region: dict[str, int]
    new_users_by_day: list[tuple[dt.date, int]]
    subscribers: int
    subscribers_by_audience: dict[str, int]
    subscribers_by_language: dict[str, int]
    subscribers_by_region: dict[str, int]
    messages_by_day: list[tuple[dt.date, int]]
    messages_by_kind: dict[str, int]
    latency: Latency
    deliveries: dict[str, int]
    checklists: dict[str, Completion]
    quiz: Completion
    events: dict[str, int] = field(default_factory=dict)

    @property
    def answered_share(self) -> float | None:
        asked = sum(self.messages_by_kind.get(kind, 0) for kind in UNDERSTANDING)
        return self.messages_by_kind.get(MessageKind.ANSWERED, 0) / asked if asked else None


def _per_day(rows: Iterable[DayCount], period: Period) -> list[tuple[dt.date, int]]:
    totals: Counter[dt.date] = Counter()
    for row in rows:
        totals[row.day] += row.value
    return [(day, totals[day]) for day in period.days()]


def _per_key(rows: Iterable[DayCount]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for row in rows:
        totals[row.key] += row.value
    return dict(totals)


def _split(
    values: dict[tuple[str, str], int], prefix: str
) -> tuple[dict[str, int], dict[str, int]]:
    """A snapshot's values under `prefix:` keys: by the key's value and by region."""
    by_key: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    for (region, key), value in values.items():
        if key.startswith(prefix + ":"):
            by_key[key.removeprefix(prefix + ":")] += value
            by_region[region] += value
    return dict(by_key), dict(by_region)


def latency(buckets: dict[str, int], total_ms: int) -> Latency:
    keys = [f"le_{bound}" for bound in LATENCY_BUCKETS_MS] + ["inf"]
    ordered = tuple((key, buckets.get(key, 0)) for key in keys)
    count = sum(n for _, n in ordered)

    def percentile(share: float) -> int | None:
        if not count:
            return None
        seen = 0
        for (_, n), bound in zip(ordered, (*LATENCY_BUCKETS_MS, None), strict=True):
            seen += n
            if seen >= share * count:
                return bound
        return None

    return Latency(
        count, total_ms / count if count else None, percentile(0.5), percentile(0.95), ordered
    )


class FiguresService:
    def __init__(self, rollups: Rollups) -> None:
        self.rollups = rollups

    async def overview(self, period: Period, regions: frozenset[str]) -> Overview:
        """`regions` empty: every region. Latency has no region (it is the NLU's)."""
        daily = await self.rollups.daily(
            (
                Metric.NEW_USERS,
                Metric.MESSAGES,
                Metric.EVENTS,
                Metric.DELIVERIES,
                Metric.CHECKLISTS,
                Metric.NLU_MS,
                Metric.NLU_MS_SUM,
            ),
            period.since,
            period.until,
            regions,
        )
        new_users, messages = daily[Metric.NEW_USERS], daily[Metric.MESSAGES]
        events = _per_key(daily[Metric.EVENTS])
        deliveries = _per_key(daily[Metric.DELIVERIES])
        checklist_rows = _per_key(daily[Metric.CHECKLISTS])
        nlu = _per_key(daily[Metric.NLU_MS])
        nlu_sum = _per_key(daily[Metric.NLU_MS_SUM])
        snapshots = await self.rollups.snapshot(
            (Metric.USERS, Metric.SUBSCRIBERS), period.until, regions
        )
        taken, users = snapshots[Metric.USERS]
        subscribers = snapshots[Metric.SUBSCRIBERS][1]
        users_by_language, users_by_region = _split(users, "language")
        by_audience, subscribers_by_region = _split(subscribers, "audience")
        subscribers_by_language, _ = _split(subscribers, "language")
        checklists: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for key, value in checklist_rows.items():
            what, _, checklist = key.partition(":")
            checklists[checklist][0 if what == "started" else 1] += value
        return Overview(
            period=period,
            regions=regions,
            snapshot_day=taken,
            users=sum(users_by_language.values()),
            users_by_language=users_by_language,
            users_by_region=users_by_region,
            new_users_by_day=_per_day(new_users, period),
            subscribers=sum(by_audience.values()),
            subscribers_by_audience=by_audience,
            subscribers_by_language=subscribers_by_language,
            subscribers_by_region=subscribers_by_region,
            messages_by_day=_per_day(messages, period),
            messages_by_kind=_per_key(messages),
            latency=latency(nlu, nlu_sum.get("", 0)),
            deliveries={outcome: deliveries.get(outcome, 0) for outcome in DELIVERY_OUTCOMES},
            checklists={k: Completion(s, f) for k, (s, f) in sorted(checklists.items())},
            quiz=Completion(events.get("quiz_started", 0), events.get("quiz_finished", 0)),
            events=events,
        )


def csv_rows(overview: Overview) -> list[tuple[str, str, str]]:
    """The overview as (figure, key, value) rows; keys are codes (days in ISO form), so the
    file reads the same in every language of the dashboard."""
    rows: list[tuple[str, str, str]] = [
        ("period", "since", overview.period.since.isoformat()),
        ("period", "until", overview.period.until.isoformat()),
        ("regions", "", " ".join(sorted(overview.regions)) or "all"),
        ("users", "total", str(overview.users)),
    ]

    def add(figure: str, values: dict[str, int] | list[tuple[dt.date, int]]) -> None:
        items = values.items() if isinstance(values, dict) else values
        for key, value in items:
            name = key.isoformat() if isinstance(key, dt.date) else key
            rows.append((figure, name, str(value)))

    add("users_by_language", overview.users_by_language)
    add("users_by_region", overview.users_by_region)
    add("new_users", overview.new_users_by_day)
    rows.append(("subscribers", "total", str(overview.subscribers)))
    add("subscribers_by_audience", overview.subscribers_by_audience)
    add("subscribers_by_language", overview.subscribers_by_language)
    add("subscribers_by_region", overview.subscribers_by_region)
    add("messages", overview.messages_by_day)
    add("messages_by_kind", overview.messages_by_kind)
    share = overview.answered_share
    rows.append(("answered_share", "", "" if share is None else f"{share:.4f}"))
    lat = overview.latency
    rows.append(("nlu_latency_ms", "count", str(lat.count)))
    rows.append(("nlu_latency_ms", "mean", "" if lat.mean_ms is None else f"{lat.mean_ms:.1f}"))
    rows.append(("nlu_latency_ms", "p50_at_most", "" if lat.p50_ms is None else str(lat.p50_ms)))
    rows.append(("nlu_latency_ms", "p95_at_most", "" if lat.p95_ms is None else str(lat.p95_ms)))
    add("deliveries", overview.deliveries)
    for checklist, done in overview.checklists.items():
        rows.append(("checklist_started", checklist, str(done.started)))
        rows.append(("checklist_finished", checklist, str(done.finished)))
    rows.append(("quiz", "started", str(overview.quiz.started)))
    rows.append(("quiz", "finished", str(overview.quiz.finished)))
    return rows
