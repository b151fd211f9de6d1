"""The outbox on SQLAlchemy. Claiming is one atomic UPDATE ... RETURNING: on PostgreSQL the
candidate rows are locked with FOR UPDATE SKIP LOCKED, so several processes share the outbox
without waiting on each other; SQLite serialises writers, which gives the same guarantee."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.outbox_status import Status
from bot.core.outbox_store import Item
from bot.core.ports import Scheduled
from bot.storage.db import Store, reading, upsert_insert, writing
from bot.storage.schema import OutboxItem, Subscription


def insert_ignoring_duplicates(session: AsyncSession, rows: list[dict[str, Any]]) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING: the idempotency key decides, in the database."""
    statement = (
        upsert_insert(session, OutboxItem)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.execute(statement)


async def cancel_waiting(session: AsyncSession, ref: str, now: dt.datetime) -> int:
    """Withdraw what still waits under `ref`; what is being sent is left to finish."""
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.ref == ref, OutboxItem.status == Status.PENDING)
        .values(status=Status.CANCELLED.value, finished_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Outbox priorities: what is due at a given time goes before announcements to everyone.
TIMED = 0
BULK = 1


def new_row(
    key: str,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    not_before: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    ref: str | None = None,
    priority: int = TIMED,
) -> dict[str, Any]:
    return {
        "priority": priority,
        "ref": ref,
        "key": key,
        "user_id": user_id,
        "chat_id": user_id,
        "kind": kind,
        "payload": payload,
        "status": Status.PENDING.value,
        "attempts": 0,
        "not_before": not_before or now,
        "lease_until": None,
        "expires_at": expires_at,
        "created_at": now,
    }


class SqlOutbox:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def enqueue(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            async with writing(self._sessions) as session:
                await insert_ignoring_duplicates(session, rows)

    async def claim(self, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[Item]:
        due = or_(
            and_(OutboxItem.status == Status.PENDING, OutboxItem.not_before <= now),
            and_(OutboxItem.status == Status.CLAIMED, OutboxItem.lease_until < now),
        )
        async with writing(self._sessions) as session:
            candidates = (
                select(OutboxItem.id)
                .where(due)
                .order_by(OutboxItem.priority, OutboxItem.id)
                .limit(limit)
            )
            chosen: Any = candidates.scalar_subquery()
            if session.get_bind().dialect.name == "postgresql":
                # Chosen once, in a materialised CTE: as a plain subquery PostgreSQL may run it
                # again for each row it updates, and with SKIP LOCKED every run finds other
                # rows, so a claim took far more than `limit` (all 150 of a test broadcast,
                # leaving nothing for the other process).
                picked = (
                    candidates.with_for_update(skip_locked=True)
                    .cte("picked")
                    .prefix_with("MATERIALIZED")
                )
                chosen = select(picked.c.id)
            statement = (
                update(OutboxItem)
                .where(OutboxItem.id.in_(chosen), due)
                .values(status=Status.CLAIMED.value, lease_until=now + lease)
                .returning(
                    OutboxItem.id,
                    OutboxItem.key,
                    OutboxItem.user_id,
                    OutboxItem.chat_id,
                    OutboxItem.kind,
                    OutboxItem.payload,
                    OutboxItem.attempts,
                    OutboxItem.expires_at,
                )
                .execution_options(synchronize_session=False)
            )
            rows = (await session.execute(statement)).all()
        items = [
            Item(
                row.id,
                row.key,
                row.user_id,
                row.chat_id,
                row.kind,
                row.payload,
                row.attempts,
                row.expires_at,
            )
            for row in rows
        ]
        return sorted(items, key=lambda item: item.id)

    async def mark_sending(self, ids: Sequence[int], now: dt.datetime) -> None:
        await self._update(ids, status=Status.SENDING.value)

    async def finish(
        self,
        item_id: int,
        status: Status,
        now: dt.datetime,
        error: str | None = None,
        message_id: int | None = None,
    ) -> None:
        await self._update(
            [item_id],
            status=status.value,
            finished_at=now,
            error=error[:300] if error else None,
            message_id=message_id,
            lease_until=None,
        )

    async def finish_sent(self, sent: Sequence[tuple[int, int | None]], now: dt.datetime) -> None:
        if not sent:
            return
        async with writing(self._sessions) as session:
            await session.execute(
                update(OutboxItem),
                [
                    {
                        "id": item_id,
                        "status": Status.SENT.value,
                        "finished_at": now,
                        "message_id": message_id,
                        "lease_until": None,
                    }
                    for item_id, message_id in sent
                ],
            )

    async def retry(
        self, item_id: int, not_before: dt.datetime, attempts: int, error: str | None
    ) -> None:
        await self._update(
            [item_id],
            status=Status.PENDING.value,
            not_before=not_before,
            attempts=attempts,
            error=error[:300] if error else None,
            lease_until=None,
        )

    async def release(self, ids: Sequence[int], not_before: dt.datetime) -> None:
        await self._update(
            ids, status=Status.PENDING.value, not_before=not_before, lease_until=None
        )

    async def move_chat(self, item_id: int, chat_id: int) -> None:
        await self._update([item_id], chat_id=chat_id)

    async def depth(self) -> int:
        """Items waiting to be sent (pending or claimed)."""
        async with reading(self._sessions) as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.status.in_([Status.PENDING, Status.CLAIMED]))
            )
            return int(count or 0)

    async def abandon_stale(self, now: dt.datetime) -> int:
        async with writing(self._sessions) as session:
            result = await session.execute(
                update(OutboxItem)
                .where(OutboxItem.status == Status.SENDING, OutboxItem.lease_until < now)
                .values(
                    status=Status.UNCERTAIN.value,
                    finished_at=now,
                    error="the sending worker stopped before recording the result",
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def on_blocked(self, user_id: int, now: dt.datetime) -> None:
        async with writing(self._sessions) as session:
            await session.execute(
                update(Subscription)
                .where(Subscription.user_id == user_id)
                .values(active=False, next_due_at=None, updated_at=now)
            )
            await session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.user_id == user_id,
                    OutboxItem.status.in_([Status.PENDING, Status.CLAIMED]),
                )
                .values(
                    status=Status.BLOCKED.value, finished_at=now, error="the user blocked the bot"
                )
            )

    async def _update(self, ids: Sequence[int], **values: Any) -> None:
        async with writing(self._sessions) as session:
            await session.execute(
                update(OutboxItem).where(OutboxItem.id.in_(list(ids))).values(**values)
            )


# Rows per INSERT: well under the bound parameters a statement may carry (SQLite's 32766).
ROWS_PER_INSERT = 500


def _rows(items: Sequence[Scheduled], now: dt.datetime) -> list[dict[str, Any]]:
    return [
        new_row(
            item.key,
            item.user_id,
            item.kind,
            item.payload,
            now,
            not_before=item.not_before,
            expires_at=item.expires_at,
            ref=item.ref,
        )
        for item in items
    ]


class SqlDeliveries:
    """The outbox as the core sees it: schedule messages, drop waiting ones, count outcomes."""

    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def schedule(self, items: Sequence[Scheduled], now: dt.datetime) -> None:
        rows = _rows(items, now)
        for start in range(0, len(rows), ROWS_PER_INSERT):
            async with writing(self._sessions) as session:
                await insert_ignoring_duplicates(session, rows[start : start + ROWS_PER_INSERT])

    async def replace(
        self, refs: Sequence[str], items: Sequence[Scheduled], now: dt.datetime
    ) -> int:
        rows = _rows(items, now)
        async with writing(self._sessions) as session:
            # Dropped first: the new items may wait under the same refs.
            result = await session.execute(
                update(OutboxItem)
                .where(OutboxItem.ref.in_(refs), OutboxItem.status == Status.PENDING)
                .values(status=Status.CANCELLED.value, finished_at=now)
            )
            for start in range(0, len(rows), ROWS_PER_INSERT):
                await insert_ignoring_duplicates(session, rows[start : start + ROWS_PER_INSERT])
            return int(getattr(result, "rowcount", 0) or 0)

    async def cancel_pending(self, ref: str, now: dt.datetime) -> int:
        async with writing(self._sessions) as session:
            return await cancel_waiting(session, ref, now)

    async def counts(self, ref: str) -> dict[str, int]:
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(OutboxItem.status, func.count())
                .where(OutboxItem.ref == ref)
                .group_by(OutboxItem.status)
            )
            return {str(status): int(count) for status, count in rows.all()}

    async def counts_by_ref(self, refs: Sequence[str]) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        if not refs:
            return found
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(OutboxItem.ref, OutboxItem.status, func.count())
                .where(OutboxItem.ref.in_(sorted(set(refs))))
                .group_by(OutboxItem.ref, OutboxItem.status)
            )
            for ref, status, count in rows.all():
                found.setdefault(str(ref), {})[str(status)] = int(count)
        return found
