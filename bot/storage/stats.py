"""Anonymous figures for organisers (/stats): counts only, never who."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.outbox_status import Status
from bot.core.ports import Stats
from bot.storage.checklists import SqlChecklistRuns
from bot.storage.db import Store, reading, upsert_insert, writing
from bot.storage.schema import OutboxItem, Subscription, TopicCount, UnansweredMessage, User


def _counts(rows: Any) -> dict[str, int]:
    return {str(key if key is not None else "-"): int(count) for key, count in rows.all()}


class SqlStats:
    def __init__(self, sessions: Store, flush_at: int = 500) -> None:
        self._sessions = sessions
        self._pending: Counter[tuple[dt.date, str]] = Counter()
        self._flush_at = flush_at

    async def count_topic(self, topic: str, now: dt.datetime) -> None:
        # Counted in memory and written by the scheduler tick (flush): a write per message
        # would cost more than the message itself.
        self._pending[(now.date(), topic)] += 1
        if sum(self._pending.values()) >= self._flush_at:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, Counter()
        if not pending:
            return
        async with writing(self._sessions) as session:
            for (day, topic), count in sorted(pending.items()):
                statement = upsert_insert(session, TopicCount).values(
                    day=day, topic=topic, count=count
                )
                statement = statement.on_conflict_do_update(
                    index_elements=["day", "topic"],
                    set_={"count": TopicCount.count + statement.excluded.count},
                )
                await session.execute(statement)

    async def collect(self, now: dt.datetime, days: int) -> Stats:
        await self.flush()
        since = now - dt.timedelta(days=days)
        async with reading(self._sessions) as session:
            by_language = _counts(
                await session.execute(select(User.language, func.count()).group_by(User.language))
            )
            by_audience = _counts(
                await session.execute(
                    select(Subscription.audience, func.count())
                    .where(Subscription.active.is_(True))
                    .group_by(Subscription.audience)
                )
            )
            by_region = _counts(
                await session.execute(select(User.region, func.count()).group_by(User.region))
            )
            day = func.date(User.first_seen)
            new_users = await session.execute(
                select(day, func.count())
                .where(User.first_seen >= since)
                .group_by(day)
                .order_by(day)
            )
            sent = _counts(
                await session.execute(
                    select(OutboxItem.kind, func.count())
                    .where(OutboxItem.status == Status.SENT)
                    .group_by(OutboxItem.kind)
                )
            )
            topics = await session.execute(
                select(TopicCount.topic, func.sum(TopicCount.count))
                .where(TopicCount.day >= since.date())
                .group_by(TopicCount.topic)
                .order_by(func.sum(TopicCount.count).desc())
                .limit(10)
            )
            unanswered = await session.scalar(select(func.count()).select_from(UnansweredMessage))
            over_time = {
                "language": await _running_totals(session, User.language, User.first_seen, since),
                "audience": await _running_totals(
                    session, Subscription.audience, Subscription.created_at, since
                ),
                "region": await _running_totals(session, User.region, User.first_seen, since, 5),
            }
        return Stats(
            users_by_language=by_language,
            subscribers_by_audience=by_audience,
            users_by_region=by_region,
            new_users_by_day=[(_as_date(d), cast(int, n)) for d, n in new_users.all()],
            over_time=over_time,
            sent_by_kind=sent,
            top_topics=[(str(t), int(n or 0)) for t, n in topics.all()],
            unanswered=int(unanswered or 0),
            checklists=await SqlChecklistRuns(self._sessions).stats(),
        )


def _as_date(value: Any) -> dt.date:
    # SQLite's date() gives text, PostgreSQL's a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


async def _running_totals(
    session: AsyncSession,
    key: Any,
    created: Any,
    since: dt.datetime,
    top: int | None = None,
) -> dict[str, list[tuple[dt.date, int]]]:
    """Per value of `key`: the running total on each day of the window that had a change."""
    before = {
        str(k): cast(int, n)
        for k, n in (
            await session.execute(select(key, func.count()).where(created < since).group_by(key))
        ).all()
        if k is not None
    }
    day = func.date(created)
    rows = await session.execute(
        select(key, day, func.count()).where(created >= since).group_by(key, day).order_by(day)
    )
    series: dict[str, list[tuple[dt.date, int]]] = {}
    totals = dict(before)
    for k, d, n in rows.all():
        if k is None:
            continue
        name = str(k)
        totals[name] = totals.get(name, 0) + cast(int, n)
        series.setdefault(name, []).append((_as_date(d), totals[name]))
    if top is not None:
        keep = sorted(totals, key=lambda name: -totals[name])[:top]
        series = {name: values for name, values in series.items() if name in keep}
    return series
