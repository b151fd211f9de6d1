"""The organisers' daily figures (the `daily_rollups` table), filled as the bot runs so that
the dashboard reads a few hundred rows per page instead of scanning users and the outbox.

- `SqlActivity` counts handled messages and NLU latency in memory and adds them to the table
  when the tick flushes (a write per message would cost more than the message); the user's
  region is looked up at the flush, a batch of primary-key reads.
- `SqlRollups.refresh` (run by the leading tick) adds what finished in the outbox and the
  checklists since its last mark (an index range each), recounts the new users of the last two
  days (their region is often chosen after the first message), and now and then takes a
  snapshot of users and subscribers by region, language and audience.

Days are UTC days."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Date, and_, cast, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Outcome
from bot.core.ports import Clock, DayCount
from bot.core.rollups import REGIONLESS, MessageKind, Metric, latency_key
from bot.storage.db import reading, upsert_insert, writing
from bot.storage.schema import (
    ChecklistRunRow,
    DailyRollup,
    OutboxItem,
    RollupMark,
    Subscription,
    User,
)

# (metric, day, region, key) -> value
Additions = Counter[tuple[str, dt.date, str, str]]

# Rows whose timestamp is this recent are left for the next refresh: a transaction that
# stamped them may not have committed yet.
LAG = dt.timedelta(minutes=2)
SNAPSHOT_EVERY = dt.timedelta(minutes=5)
# New users are recounted for this many days back: their region comes later, in /settings.
RECOUNT_DAYS = 2
SNAPSHOT_MARK = "snapshots"
_CHUNK = 500
# Outcome events worth a daily count (the rest are in the logs and metrics).
COUNTED_EVENTS = frozenset(
    {
        "start",
        "quiz_started",
        "quiz_finished",
        "checklist_finished",
        "reminder_set",
        "subscribed",
        "unsubscribed",
        "forgotten",
    }
)


def _day(session: AsyncSession, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: Any) -> dt.date:
    # SQLite's date() gives text, PostgreSQL's a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _int(value: Any) -> int:
    return int(value)


def _text(region: Any) -> str:
    """A region as stored in the rollups: "" for none."""
    return str(region or "")


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _add(session: AsyncSession, additions: Additions) -> None:
    """Add to the rows (created at 0): one multi-row upsert per chunk."""
    rows = [
        {"metric": m, "day": d, "region": r, "key": k, "value": v}
        for (m, d, r, k), v in sorted(additions.items())
        if v
    ]
    for chunk in _chunks(rows):
        statement = upsert_insert(session, DailyRollup).values(chunk)
        statement = statement.on_conflict_do_update(
            index_elements=["metric", "day", "region", "key"],
            set_={"value": DailyRollup.value + statement.excluded.value},
        )
        await session.execute(statement)


class SqlActivity:
    """Messages handled and NLU latency, counted in memory until `flush`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._by_user: Counter[tuple[str, dt.date, int, str]] = Counter()
        self._plain: Additions = Counter()

    def message(self, user_id: int, kind: MessageKind, outcome: Outcome) -> None:
        day = self._clock.now().date()
        self._by_user[(Metric.MESSAGES, day, user_id, kind)] += 1
        for event in outcome.events:
            if event in COUNTED_EVENTS:
                self._by_user[(Metric.EVENTS, day, user_id, event)] += 1

    def nlu_latency(self, seconds: float) -> None:
        day = self._clock.now().date()
        milliseconds = seconds * 1000
        self._plain[(Metric.NLU_MS, day, "", latency_key(milliseconds))] += 1
        self._plain[(Metric.NLU_MS_SUM, day, "", "")] += round(milliseconds)

    async def flush(self) -> None:
        by_user, self._by_user = self._by_user, Counter()
        additions, self._plain = self._plain, Counter()
        if not by_user and not additions:
            return
        regions: dict[int, str] = {}
        ids = sorted({user_id for _, _, user_id, _ in by_user})
        async with reading(self._sessions) as session:
            for chunk in _chunks(ids):
                rows = await session.execute(select(User.id, User.region).where(User.id.in_(chunk)))
                regions.update((user_id, region or "") for user_id, region in rows.all())
        for (metric, day, user_id, key), count in by_user.items():
            additions[(metric, day, regions.get(user_id, ""), key)] += count
        async with writing(self._sessions) as session:
            await _add(session, additions)


class SqlRollups:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        lag: dt.timedelta = LAG,
        snapshot_every: dt.timedelta = SNAPSHOT_EVERY,
    ) -> None:
        self._sessions = sessions
        self._lag = lag
        self._snapshot_every = snapshot_every
        self._snapshot_at: dt.datetime | None = None

    # --- filling ---------------------------------------------------------------------------

    async def refresh(self, now: dt.datetime) -> None:
        await self._incremental("deliveries", now, self._deliveries)
        await self._incremental("checklists_started", now, self._started)
        await self._incremental("checklists_finished", now, self._finished)
        if self._snapshot_at is None or now - self._snapshot_at >= self._snapshot_every:
            await self._recount_new_users(now)
            await self._snapshots(now)
            self._snapshot_at = now

    async def _incremental(self, name: str, now: dt.datetime, read: Any) -> None:
        until = now - self._lag
        async with reading(self._sessions) as session:
            mark = await session.get(RollupMark, name)
            since = mark.through if mark is not None else None
            if since is not None and since >= until:
                return
            additions: Additions = await read(session, since, until)
        async with writing(self._sessions) as session:
            # Only the leading tick refreshes; the mark is checked again all the same, so a
            # second refresh of the same window can never add it twice.
            mark = await session.get(RollupMark, name, with_for_update=True)
            if (mark.through if mark is not None else None) != since:
                return
            await _add(session, additions)
            if mark is None:
                session.add(RollupMark(name=name, through=until))
            else:
                mark.through = until

    @staticmethod
    def _window(column: Any, since: dt.datetime | None, until: dt.datetime) -> list[Any]:
        where = [column <= until]
        if since is not None:
            where.append(column > since)
        return where

    async def _deliveries(
        self, session: AsyncSession, since: dt.datetime | None, until: dt.datetime
    ) -> Additions:
        day = _day(session, OutboxItem.finished_at)
        rows = await session.execute(
            select(day, User.region, OutboxItem.status, func.count())
            .join(User, User.id == OutboxItem.user_id)
            .where(*self._window(OutboxItem.finished_at, since, until))
            .group_by(day, User.region, OutboxItem.status)
        )
        return Counter(
            {
                (Metric.DELIVERIES, _as_date(d), _text(r), str(s)): _int(n)
                for d, r, s, n in rows.all()
            }
        )

    async def _started(
        self, session: AsyncSession, since: dt.datetime | None, until: dt.datetime
    ) -> Additions:
        return await self._runs(session, ChecklistRunRow.started_at, "started", since, until)

    async def _finished(
        self, session: AsyncSession, since: dt.datetime | None, until: dt.datetime
    ) -> Additions:
        return await self._runs(session, ChecklistRunRow.finished_at, "finished", since, until)

    async def _runs(
        self,
        session: AsyncSession,
        column: Any,
        what: str,
        since: dt.datetime | None,
        until: dt.datetime,
    ) -> Additions:
        day = _day(session, column)
        rows = await session.execute(
            select(day, User.region, ChecklistRunRow.checklist, func.count())
            .join(User, User.id == ChecklistRunRow.user_id)
            .where(*self._window(column, since, until))
            .group_by(day, User.region, ChecklistRunRow.checklist)
        )
        return Counter(
            {
                (Metric.CHECKLISTS, _as_date(d), _text(r), f"{what}:{c}"): _int(n)
                for d, r, c, n in rows.all()
            }
        )

    async def _recount_new_users(self, now: dt.datetime) -> None:
        """The new users of the last RECOUNT_DAYS days, counted again and replaced (all of
        them the first time)."""
        async with reading(self._sessions) as session:
            counted = await session.get(RollupMark, "new_users")
            first = (now - dt.timedelta(days=RECOUNT_DAYS - 1)).date()
            start = dt.datetime.combine(first, dt.time(), dt.UTC) if counted else None
            day = _day(session, User.first_seen)
            query = select(day, User.region, User.language, func.count()).group_by(
                day, User.region, User.language
            )
            if start is not None:
                query = query.where(User.first_seen >= start)
            additions: Additions = Counter(
                {
                    (Metric.NEW_USERS, _as_date(d), _text(r), str(lang)): _int(n)
                    for d, r, lang, n in (await session.execute(query)).all()
                }
            )
        async with writing(self._sessions) as session:
            clear = delete(DailyRollup).where(DailyRollup.metric == Metric.NEW_USERS)
            if start is not None:
                clear = clear.where(DailyRollup.day >= first)
            await session.execute(clear)
            await _add(session, additions)
            mark = await session.get(RollupMark, "new_users")
            if mark is None:
                session.add(RollupMark(name="new_users", through=now))
            else:
                mark.through = now

    async def _snapshots(self, now: dt.datetime) -> None:
        today = now.date()
        async with reading(self._sessions) as session:
            users = await session.execute(
                select(User.region, User.language, func.count()).group_by(
                    User.region, User.language
                )
            )
            snapshot: Additions = Counter()
            for region, language, n in users.all():
                snapshot[(Metric.USERS, today, region or "", f"language:{language}")] += int(n)
            subscribers = await session.execute(
                select(User.region, Subscription.audience, User.language, func.count())
                .join(User, User.id == Subscription.user_id)
                .where(Subscription.active.is_(True))
                .group_by(User.region, Subscription.audience, User.language)
            )
            for region, audience, language, count in subscribers.all():
                where, n = region or "", int(count)
                snapshot[(Metric.SUBSCRIBERS, today, where, f"audience:{audience}")] += n
                snapshot[(Metric.SUBSCRIBERS, today, where, f"language:{language}")] += n
        async with writing(self._sessions) as session:
            await session.execute(
                delete(DailyRollup).where(
                    DailyRollup.metric.in_([Metric.USERS, Metric.SUBSCRIBERS]),
                    DailyRollup.day == today,
                )
            )
            await _add(session, snapshot)
            # When it was taken, with its rows: the composer trusts a snapshot only minutes old.
            mark = await session.get(RollupMark, SNAPSHOT_MARK)
            if mark is None:
                session.add(RollupMark(name=SNAPSHOT_MARK, through=now))
            else:
                mark.through = now

    # --- reading (the Rollups port) --------------------------------------------------------

    async def daily(
        self, metrics: Sequence[str], since: dt.date, until: dt.date, regions: frozenset[str]
    ) -> dict[str, list[DayCount]]:
        query = (
            select(
                DailyRollup.metric, DailyRollup.day, DailyRollup.key, func.sum(DailyRollup.value)
            )
            .where(
                DailyRollup.metric.in_(sorted(metrics)),
                DailyRollup.day >= since,
                DailyRollup.day <= until,
            )
            .group_by(DailyRollup.metric, DailyRollup.day, DailyRollup.key)
            .order_by(DailyRollup.metric, DailyRollup.day, DailyRollup.key)
        )
        if regions:
            query = query.where(
                or_(
                    DailyRollup.region.in_(sorted(regions)),
                    DailyRollup.metric.in_(sorted(REGIONLESS)),
                )
            )
        found: dict[str, list[DayCount]] = {metric: [] for metric in metrics}
        async with reading(self._sessions) as session:
            for metric, day, key, value in (await session.execute(query)).all():
                found[str(metric)].append(DayCount(_as_date(day), str(key), _int(value or 0)))
        return found

    async def snapshot(
        self, metrics: Sequence[str], on: dt.date, regions: frozenset[str]
    ) -> dict[str, tuple[dt.date | None, dict[tuple[str, str], int]]]:
        found: dict[str, tuple[dt.date | None, dict[tuple[str, str], int]]] = {
            metric: (None, {}) for metric in metrics
        }
        async with reading(self._sessions) as session:
            taken = {
                str(metric): _as_date(day)
                for metric, day in (
                    await session.execute(
                        select(DailyRollup.metric, func.max(DailyRollup.day))
                        .where(DailyRollup.metric.in_(sorted(metrics)), DailyRollup.day <= on)
                        .group_by(DailyRollup.metric)
                    )
                ).all()
                if day is not None
            }
            if not taken:
                return found
            query = select(
                DailyRollup.metric, DailyRollup.region, DailyRollup.key, DailyRollup.value
            ).where(
                or_(
                    *(
                        and_(DailyRollup.metric == metric, DailyRollup.day == day)
                        for metric, day in sorted(taken.items())
                    )
                )
            )
            if regions:
                query = query.where(DailyRollup.region.in_(sorted(regions)))
            values: dict[str, dict[tuple[str, str], int]] = {metric: {} for metric in taken}
            for metric, region, key, value in (await session.execute(query)).all():
                values[str(metric)][(str(region), str(key))] = _int(value)
        for metric, day in taken.items():
            found[metric] = (day, values[metric])
        return found

    async def snapshot_at(self) -> dt.datetime | None:
        async with reading(self._sessions) as session:
            mark = await session.get(RollupMark, SNAPSHOT_MARK)
            taken = mark.through if mark is not None else None
        if taken is None:
            return None
        # SQLite gives back a naive timestamp; it was written in UTC.
        return taken if taken.tzinfo is not None else taken.replace(tzinfo=dt.UTC)
