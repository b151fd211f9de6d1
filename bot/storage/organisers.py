"""Organiser roles and the audit log on SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.db import reading, writing
from bot.storage.schema import AuditEntry, OrganiserRow


class SqlRoles:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def organisers(self) -> list[int]:
        async with reading(self._sessions) as session:
            return list(
                await session.scalars(select(OrganiserRow.user_id).order_by(OrganiserRow.user_id))
            )

    async def is_organiser(self, user_id: int) -> bool:
        async with reading(self._sessions) as session:
            return await session.get(OrganiserRow, user_id) is not None

    async def add_organiser(self, user_id: int, by: int, now: dt.datetime) -> bool:
        async with writing(self._sessions) as session:
            if await session.get(OrganiserRow, user_id) is not None:
                return False
            session.add(OrganiserRow(user_id=user_id, added_by=by, added_at=now))
            return True

    async def remove_organiser(self, user_id: int) -> bool:
        async with writing(self._sessions) as session:
            row = await session.get(OrganiserRow, user_id)
            if row is None:
                return False
            await session.delete(row)
            return True


class SqlAudit:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self, actor: int | None, action: str, details: dict[str, Any], now: dt.datetime
    ) -> None:
        async with writing(self._sessions) as session:
            session.add(AuditEntry(at=now, actor_id=actor, action=action, details=details))

    async def entries(self, limit: int = 100) -> list[AuditEntry]:
        async with reading(self._sessions) as session:
            return list(
                await session.scalars(
                    select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
                )
            )
