"""Events and reminders on SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.core.event_codec import FIELDS, draft_of, draft_values
from bot.core.events import EventDraft
from bot.core.ports import (
    Change,
    EventFilter,
    EventRecord,
    EventStatus,
    Recipient,
    StoredEvent,
)
from bot.storage.access import database_for
from bot.storage.db import Store, reading, upsert_insert, writing
from bot.storage.schema import EventReminder, EventRow, Subscription, User

ONLINE = "online"


# The draft's fields whose column has another name; the key is the row's identity, not a field
# that a save changes.
COLUMNS = {"start": "start_at", "end": "end_at"}


def _fields(draft: EventDraft) -> dict[str, Any]:
    values = draft_values(draft)
    del values["key"]
    return {COLUMNS.get(name, name): value for name, value in values.items()}


def _record(row: EventRow) -> EventRecord:
    zone = ZoneInfo(row.timezone)
    values = {name: getattr(row, COLUMNS.get(name, name)) for name in FIELDS}
    values.update(start=row.start_at.astimezone(zone), end=row.end_at.astimezone(zone))
    return EventRecord(row.id, draft_of(values), row.status, row.version)


def _same(row: EventRow, fields: dict[str, Any]) -> bool:
    return all(getattr(row, name) == value for name, value in fields.items())


class SqlEvents:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions
        self._db = database_for(sessions)

    async def get(self, event_id: int) -> EventRecord | None:
        async with reading(self._sessions) as session:
            row = await session.get(EventRow, event_id)
            return _record(row) if row else None

    async def by_key(self, key: str) -> EventRecord | None:
        async with reading(self._sessions) as session:
            row = await session.scalar(select(EventRow).where(EventRow.key == key))
            return _record(row) if row else None

    async def upcoming(
        self, now: dt.datetime, where: EventFilter, offset: int, limit: int
    ) -> tuple[list[EventRecord], int]:
        conditions = [EventRow.status == EventStatus.ACTIVE, EventRow.end_at > now]
        if where.region is not None:
            conditions.append(EventRow.region == where.region)
        if where.mode == ONLINE:
            conditions.append(EventRow.online_url.is_not(None))
        elif where.mode == "in_person":
            conditions.append(EventRow.place.is_not(None))
        async with reading(self._sessions) as session:
            total = await session.scalar(
                select(func.count()).select_from(EventRow).where(*conditions)
            )
            rows = await session.scalars(
                select(EventRow)
                .where(*conditions)
                .order_by(EventRow.start_at, EventRow.id)
                .offset(offset)
                .limit(limit)
            )
            return [_record(row) for row in rows], int(total or 0)

    async def save(self, draft: EventDraft, by: int | None, now: dt.datetime) -> EventRecord:
        """Store an event and nothing else (tests set up with this); the bot saves events
        through bot.services.events, which also moves reminders and tells who asked."""
        return (await self.store(draft, by, now)).event

    async def store(self, draft: EventDraft, by: int | None, now: dt.datetime) -> StoredEvent:
        try:
            return await self._store(draft, by, now)
        except IntegrityError:
            # Another process created the same key at the same moment (replicas seeding
            # data/events/ at start-up): it exists now, so this is an update.
            return await self._store(draft, by, now)

    async def _store(self, draft: EventDraft, by: int | None, now: dt.datetime) -> StoredEvent:
        fields = _fields(draft)
        change: Change = "unchanged"
        # In a unit of work a savepoint: the key taken meanwhile must not end its transaction.
        async with writing(self._sessions) as session, self._db.savepoint(session):
            row = await session.scalar(
                select(EventRow).where(EventRow.key == draft.key).with_for_update()
            )
            if row is None:
                row = EventRow(
                    key=draft.key,
                    status=EventStatus.ACTIVE,
                    version=1,
                    created_by=by,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
                session.add(row)
                change = "created"
            elif not _same(row, fields) or row.status != EventStatus.ACTIVE:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.status, row.version, row.updated_at = EventStatus.ACTIVE, row.version + 1, now
                change = "updated"
            await session.flush()
            return StoredEvent(_record(row), change)

    async def cancel(self, event_id: int, now: dt.datetime) -> EventRecord | None:
        async with writing(self._sessions) as session:
            row = await session.get(EventRow, event_id, with_for_update=True)
            if row is None:
                return None
            if row.status != EventStatus.CANCELLED:
                row.status, row.updated_at = EventStatus.CANCELLED, now
                row.version += 1
            await session.flush()
            return _record(row)


class SqlReminders:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def add(self, user_id: int, event_id: int, now: dt.datetime) -> bool:
        async with writing(self._sessions) as session:
            inserted = await session.scalar(
                upsert_insert(session, EventReminder)
                .values(user_id=user_id, event_id=event_id, created_at=now)
                .on_conflict_do_nothing()
                .returning(EventReminder.user_id)
            )
            return inserted is not None

    async def remove(self, user_id: int, event_id: int) -> bool:
        async with writing(self._sessions) as session:
            row = await session.get(EventReminder, (user_id, event_id))
            if row is None:
                return False
            await session.delete(row)
            return True

    async def has(self, user_id: int, event_id: int) -> bool:
        async with reading(self._sessions) as session:
            return await session.get(EventReminder, (user_id, event_id)) is not None

    async def recipients(self, event_id: int, after: int | None, limit: int) -> list[Recipient]:
        query = (
            select(EventReminder.user_id, User.language, Subscription.timezone)
            .join(User, User.id == EventReminder.user_id)
            .outerjoin(Subscription, Subscription.user_id == EventReminder.user_id)
            .where(EventReminder.event_id == event_id)
            .order_by(EventReminder.user_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(EventReminder.user_id > after)
        async with reading(self._sessions) as session:
            rows = await session.execute(query)
            return [Recipient(int(u), str(lang), tz) for u, lang, tz in rows.all()]
