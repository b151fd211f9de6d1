"""Announcements on SQLAlchemy, and their fan-out into the outbox.

Fan-out walks the audience in user id order, a batch per transaction: the batch's outbox rows and
the broadcast's `fanned_out_to` move together, so a crash resumes at the next user and the
outbox key (ann:<broadcast>:<user>) makes a repeated batch harmless. On PostgreSQL the broadcast
row is taken with SKIP LOCKED, so two processes never fan out the same one at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select

from bot.core.outbox_refs import announcement_key, announcement_ref
from bot.core.ports import Audience, BroadcastRecord, BroadcastStatus
from bot.storage.db import Store, reading, writing
from bot.storage.outbox import BULK, cancel_waiting, insert_ignoring_duplicates, new_row
from bot.storage.schema import BroadcastRow, EventReminder, Subscription, User

SCHEDULED, FANNING_OUT, QUEUED, CANCELLED = (
    BroadcastStatus.SCHEDULED,
    BroadcastStatus.FANNING_OUT,
    BroadcastStatus.QUEUED,
    BroadcastStatus.CANCELLED,
)


def audience_query(audience: Audience) -> Select[int]:
    query = select(User.id)
    if audience.segment in ("citizen", "business"):
        query = query.join(Subscription, Subscription.user_id == User.id).where(
            Subscription.audience == audience.segment, Subscription.active.is_(True)
        )
    if audience.language:
        query = query.where(User.language == audience.language)
    if audience.region:
        query = query.where(User.region == audience.region)
    if audience.event_id is not None:
        query = query.join(EventReminder, EventReminder.user_id == User.id).where(
            EventReminder.event_id == audience.event_id
        )
    return query


def _audience(raw: dict[str, Any]) -> Audience:
    return Audience(
        segment=raw.get("segment") or "all",
        language=raw.get("language"),
        region=raw.get("region"),
        event_id=raw.get("event_id"),
    )


def _record(row: BroadcastRow) -> BroadcastRecord:
    return BroadcastRecord(
        row.id,
        row.created_by,
        dict(row.payload),
        _audience(row.audience),
        row.status,
        row.send_at,
        row.queued,
    )


class SqlBroadcasts:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def create(
        self,
        by: int,
        payload: dict[str, Any],
        audience: Audience,
        send_at: dt.datetime,
        now: dt.datetime,
    ) -> BroadcastRecord:
        async with writing(self._sessions) as session:
            row = BroadcastRow(
                created_by=by,
                payload=payload,
                audience=audience.as_dict(),
                status=SCHEDULED,
                send_at=send_at,
                queued=0,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            return _record(row)

    async def get(self, broadcast_id: int) -> BroadcastRecord | None:
        async with reading(self._sessions) as session:
            row = await session.get(BroadcastRow, broadcast_id)
            return _record(row) if row else None

    async def recent(self, limit: int) -> list[BroadcastRecord]:
        async with reading(self._sessions) as session:
            rows = await session.scalars(
                select(BroadcastRow).order_by(BroadcastRow.id.desc()).limit(limit)
            )
            return [_record(row) for row in rows]

    async def audience_size(self, audience: Audience) -> int:
        async with reading(self._sessions) as session:
            count = await session.scalar(
                select(func.count()).select_from(audience_query(audience).subquery())
            )
            return int(count or 0)

    async def cancel(self, broadcast_id: int, now: dt.datetime) -> BroadcastRecord | None:
        async with writing(self._sessions) as session:
            row = await session.get(BroadcastRow, broadcast_id, with_for_update=True)
            if row is None:
                return None
            if row.status != CANCELLED:
                row.status, row.finished_at = CANCELLED, now
                await cancel_waiting(session, announcement_ref(row.id), now)
            await session.flush()
            return _record(row)


class BroadcastPlanner:
    """Moves due announcements into the outbox, a batch of recipients at a time."""

    def __init__(self, sessions: Store, batch: int = 1000) -> None:
        self.sessions = sessions
        self.batch = batch

    async def fan_out(
        self, now: dt.datetime, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Queue every due announcement completely; the number of messages queued."""
        queued = 0
        while True:
            step = await self.one_batch(now)
            if step is None:
                return queued
            broadcast_id, added, _done = step
            queued += added
            if progress is not None:
                progress(broadcast_id, added)

    async def one_batch(self, now: dt.datetime) -> tuple[int, int, bool] | None:
        """One batch of the fan-out in its own transaction (what a crash leaves behind is one
        or more of these): the announcement's id, how many were queued, whether it is all queued;
        None when nothing is due."""
        async with writing(self.sessions) as session:
            query = (
                select(BroadcastRow)
                .where(
                    BroadcastRow.status.in_([SCHEDULED, FANNING_OUT]), BroadcastRow.send_at <= now
                )
                .order_by(BroadcastRow.send_at, BroadcastRow.id)
                .limit(1)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = await session.scalar(query)
            if row is None:
                return None
            recipients = audience_query(_audience(row.audience)).order_by(User.id).limit(self.batch)
            if row.fanned_out_to is not None:
                recipients = recipients.where(User.id > row.fanned_out_to)
            users = list(await session.scalars(recipients))
            if users:
                await insert_ignoring_duplicates(
                    session,
                    [
                        new_row(
                            announcement_key(row.id, user),
                            user,
                            "announcement",
                            row.payload,
                            now,
                            ref=announcement_ref(row.id),
                            priority=BULK,
                        )
                        for user in users
                    ],
                )
                row.fanned_out_to = users[-1]
                row.queued += len(users)
            done = len(users) < self.batch
            row.status = QUEUED if done else FANNING_OUT
            if done:
                row.finished_at = now
            return row.id, len(users), done
