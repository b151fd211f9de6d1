"""Organiser roles and the audit log on SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from bot.core.ports import AuditQuery, AuditRecord, StaffRecord
from bot.storage.db import Store, reading, writing
from bot.storage.schema import AuditEntry, OrganiserRow


class SqlRoles:
    def __init__(self, sessions: Store) -> None:
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

    async def staff(self) -> list[StaffRecord]:
        async with reading(self._sessions) as session:
            rows = await session.scalars(select(OrganiserRow).order_by(OrganiserRow.user_id))
            return [_staff(row) for row in rows]

    async def staff_member(self, user_id: int) -> StaffRecord | None:
        async with reading(self._sessions, one_statement=True) as session:
            row = await session.get(OrganiserRow, user_id)
            return None if row is None else _staff(row)

    async def set_staff(
        self, user_id: int, role: str, regions: frozenset[str], by: int | None, now: dt.datetime
    ) -> bool:
        ordered = sorted(regions)
        async with writing(self._sessions) as session:
            row = await session.get(OrganiserRow, user_id)
            if row is None:
                session.add(
                    OrganiserRow(
                        user_id=user_id, added_by=by, added_at=now, role=role, regions=ordered
                    )
                )
                return True
            if row.role == role and sorted(row.regions or []) == ordered:
                return False
            row.role, row.regions = role, ordered
            return True


def _staff(row: OrganiserRow) -> StaffRecord:
    return StaffRecord(
        row.user_id, row.role, frozenset(row.regions or ()), row.added_by, row.added_at
    )


class SqlAudit:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def record(
        self, actor: int | None, action: str, details: dict[str, Any], now: dt.datetime
    ) -> None:
        async with writing(self._sessions) as session:
            session.add(AuditEntry(at=now, actor_id=actor, action=action, details=details))

    async def search(self, query: AuditQuery) -> tuple[list[AuditRecord], int]:
        conditions = []
        if query.actor is not None:
            conditions.append(AuditEntry.actor_id == query.actor)
        if query.action:
            conditions.append(AuditEntry.action == query.action)
        if query.since is not None:
            conditions.append(AuditEntry.at >= query.since)
        if query.until is not None:
            conditions.append(AuditEntry.at < query.until)
        async with reading(self._sessions) as session:
            total = await session.scalar(
                select(func.count()).select_from(AuditEntry).where(*conditions)
            )
            rows = await session.scalars(
                select(AuditEntry)
                .where(*conditions)
                .order_by(AuditEntry.id.desc())
                .offset(query.offset)
                .limit(query.limit)
            )
            page = [AuditRecord(r.id, r.at, r.actor_id, r.action, dict(r.details)) for r in rows]
        return page, int(total or 0)

    async def actions(self) -> list[str]:
        async with reading(self._sessions) as session:
            return list(
                await session.scalars(select(AuditEntry.action).distinct().order_by("action"))
            )

    async def entries(self, limit: int = 100) -> list[AuditEntry]:
        async with reading(self._sessions) as session:
            return list(
                await session.scalars(
                    select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
                )
            )
