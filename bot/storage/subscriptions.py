"""Subscriptions and pending conversation input on SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select, update

from bot.core.ports import PendingInput, SubscriptionRecord
from bot.core.schedule import next_send
from bot.storage.access import database_for
from bot.storage.db import Store, reading, writing
from bot.storage.schema import ConversationState, Subscription


def _record(row: Subscription) -> SubscriptionRecord:
    return SubscriptionRecord(row.user_id, row.audience, row.send_minute, row.timezone, row.active)


class SqlSubscriptions:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def get(self, user_id: int) -> SubscriptionRecord | None:
        async with reading(self._sessions) as session:
            row = await session.get(Subscription, user_id)
            return _record(row) if row else None

    async def save(
        self, user_id: int, audience: str, send_minute: int, timezone: str, now: dt.datetime
    ) -> SubscriptionRecord:
        # The next tip is the first send time after now: subscribing at 09:00 with 08:00 as the
        # time means tomorrow, never a late tip for today.
        due = next_send(now, send_minute, ZoneInfo(timezone))
        async with writing(self._sessions) as session:
            row = await session.get(Subscription, user_id, with_for_update=True)
            if row is None:
                row = Subscription(user_id=user_id, created_at=now)
                session.add(row)
            row.audience, row.send_minute, row.timezone = audience, send_minute, timezone
            row.active, row.next_due_at, row.updated_at = True, due, now
            await session.flush()
            return _record(row)

    async def deactivate(self, user_id: int, now: dt.datetime) -> bool:
        async with writing(self._sessions) as session:
            result = await session.execute(
                update(Subscription)
                .where(Subscription.user_id == user_id, Subscription.active.is_(True))
                .values(active=False, next_due_at=None, updated_at=now)
            )
            return bool(getattr(result, "rowcount", 0))


# Read on every free-text message: built once (see bot.storage.access).
_PENDING = select(ConversationState.flow, ConversationState.data).where(
    ConversationState.user_id == bindparam("user_id")
)


class SqlConversations:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions
        self._db = database_for(sessions)

    async def get(self, user_id: int) -> PendingInput | None:
        row = await self._db.read_row(_PENDING, {"user_id": user_id})
        return PendingInput(row.flow, dict(row.data)) if row is not None else None

    async def set(self, user_id: int, pending: PendingInput, now: dt.datetime) -> None:
        async with writing(self._sessions) as session:
            row = await session.get(ConversationState, user_id, with_for_update=True)
            if row is None:
                session.add(
                    ConversationState(
                        user_id=user_id, flow=pending.flow, data=pending.data, updated_at=now
                    )
                )
            else:
                row.flow, row.data, row.updated_at = pending.flow, pending.data, now

    async def clear(self, user_id: int) -> None:
        async with writing(self._sessions) as session:
            await session.execute(
                delete(ConversationState).where(ConversationState.user_id == user_id)
            )
