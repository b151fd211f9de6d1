"""The Users port on SQLAlchemy: one short session per call."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.ports import UserRecord
from bot.storage.access import database_for
from bot.storage.db import Store, writing
from bot.storage.schema import User


def _record(user: User) -> UserRecord:
    return UserRecord(user.id, user.language, user.first_seen, user.last_seen, user.region)


TOUCH_EVERY = dt.timedelta(minutes=15)

# Read on every message: built once (see bot.storage.access).
_GET = select(User.id, User.language, User.first_seen, User.last_seen, User.region).where(
    User.id == bindparam("user_id")
)


class SqlUsers:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions
        self._db = database_for(sessions)

    async def get(self, user_id: int) -> UserRecord | None:
        row = await self._db.read_row(_GET, {"user_id": user_id})
        return (
            UserRecord(row.id, row.language, row.first_seen, row.last_seen, row.region)
            if row is not None
            else None
        )

    async def touch(self, user_id: int, language: str, now: dt.datetime) -> UserRecord:
        # last_seen is kept to the quarter hour: most messages then cost a read, not a write.
        known = await self.get(user_id)
        if known is not None and now - known.last_seen < TOUCH_EVERY:
            return known
        try:
            return await self._touch(user_id, language, now)
        except IntegrityError:
            # Two first messages of a new user raced to create the row; the other one won.
            return await self._touch(user_id, language, now)

    async def _touch(self, user_id: int, language: str, now: dt.datetime) -> UserRecord:
        async with writing(self._sessions) as session:
            user = await session.get(User, user_id, with_for_update=True)
            if user is None:
                user = User(id=user_id, language=language, first_seen=now, last_seen=now)
                session.add(user)
            else:
                user.last_seen = now
            await session.flush()
            return _record(user)

    async def set_language(self, user_id: int, language: str) -> None:
        async with writing(self._sessions) as session:
            await session.execute(update(User).where(User.id == user_id).values(language=language))

    async def set_region(self, user_id: int, region: str | None) -> None:
        async with writing(self._sessions) as session:
            await session.execute(update(User).where(User.id == user_id).values(region=region))
