"""Everything stored about one user, for /mydata and /forget. Every table that refers to a user
is listed here; a test checks that no table with a user column is missing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import DeclarativeBase

from bot.storage.db import Store, reading, writing
from bot.storage.schema import (
    AlertOptIn,
    AuditEntry,
    BroadcastRow,
    CheckedMessageRow,
    ChecklistRunRow,
    ConversationState,
    EventReminder,
    EventRow,
    FloodWindow,
    NluModelVersion,
    NluReviewItem,
    OrganiserRow,
    OutboxItem,
    ScamAlertRow,
    SignInLinkRow,
    Subscription,
    User,
)

# Children first, so that deleting works with or without ON DELETE CASCADE.
PERSONAL_TABLES: tuple[tuple[type[DeclarativeBase], str], ...] = (
    (OutboxItem, "user_id"),
    (EventReminder, "user_id"),
    (OrganiserRow, "user_id"),
    (ChecklistRunRow, "user_id"),
    (CheckedMessageRow, "user_id"),
    (ConversationState, "user_id"),
    (FloodWindow, "user_id"),
    (AlertOptIn, "user_id"),
    (SignInLinkRow, "user_id"),
    (Subscription, "user_id"),
    (User, "id"),
)
# Where a user's id is kept as the author of something shared (an event, an announcement, an
# audit entry): the record stays, the id is removed.
AUTHOR_COLUMNS: tuple[tuple[type[DeclarativeBase], str], ...] = (
    (EventRow, "created_by"),
    (BroadcastRow, "created_by"),
    (AuditEntry, "actor_id"),
    (OrganiserRow, "added_by"),
    (ScamAlertRow, "created_by"),
    (NluModelVersion, "created_by"),
    (NluModelVersion, "promoted_by"),
    (NluReviewItem, "decided_by"),
)
# Columns that are internal bookkeeping rather than data about the person.
_SKIP = frozenset({"lease_until"})


def _row(row: Any) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in _SKIP
    }


class SqlPersonalData:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def export(self, user_id: int) -> dict[str, object]:
        stored: dict[str, object] = {}
        async with reading(self._sessions) as session:
            for model, column in reversed(PERSONAL_TABLES):
                rows = await session.scalars(select(model).where(getattr(model, column) == user_id))
                stored[model.__tablename__] = [_row(row) for row in rows]
        return stored

    async def erase(self, user_id: int) -> int:
        deleted = 0
        async with writing(self._sessions) as session:
            for model, column in PERSONAL_TABLES:
                result = await session.execute(
                    delete(model).where(getattr(model, column) == user_id)
                )
                deleted += getattr(result, "rowcount", 0) or 0
            for model, column in AUTHOR_COLUMNS:
                await session.execute(
                    update(model).where(getattr(model, column) == user_id).values({column: None})
                )
        return deleted
