"""Checklist progress on SQLAlchemy: one row per attempt, answers as JSON."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import func, select

from bot.core.ports import ChecklistRun, ChecklistStats
from bot.storage.db import Store, reading, writing
from bot.storage.schema import ChecklistRunRow, User


def _record(row: ChecklistRunRow) -> ChecklistRun:
    return ChecklistRun(
        row.id,
        row.user_id,
        row.checklist,
        dict(row.answers),
        row.started_at,
        row.finished_at,
        row.score,
    )


def _open(user_id: int, checklist: str):  # type: ignore[no-untyped-def]
    return (
        select(ChecklistRunRow)
        .where(
            ChecklistRunRow.user_id == user_id,
            ChecklistRunRow.checklist == checklist,
            ChecklistRunRow.finished_at.is_(None),
        )
        .order_by(ChecklistRunRow.id.desc())
        .limit(1)
    )


class SqlChecklistRuns:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def get(self, run_id: int) -> ChecklistRun | None:
        async with reading(self._sessions) as session:
            row = await session.get(ChecklistRunRow, run_id)
            return _record(row) if row else None

    async def open_run(self, user_id: int, checklist: str) -> ChecklistRun | None:
        async with reading(self._sessions) as session:
            row = await session.scalar(_open(user_id, checklist))
            return _record(row) if row else None

    async def start(self, user_id: int, checklist: str, now: dt.datetime) -> ChecklistRun:
        async with writing(self._sessions) as session:
            # The user's row is the lock that keeps a double press from starting two attempts.
            await session.get(User, user_id, with_for_update=True)
            row = await session.scalar(_open(user_id, checklist))
            if row is None:
                row = ChecklistRunRow(
                    user_id=user_id, checklist=checklist, answers={}, started_at=now
                )
                session.add(row)
                await session.flush()
            return _record(row)

    async def answer(self, run_id: int, key: str, value: str) -> ChecklistRun | None:
        async with writing(self._sessions) as session:
            row = await session.get(ChecklistRunRow, run_id, with_for_update=True)
            if row is None or row.finished_at is not None:
                return None
            row.answers = {**row.answers, key: value}
            await session.flush()
            return _record(row)

    async def finish(self, run_id: int, score: int, now: dt.datetime) -> ChecklistRun | None:
        async with writing(self._sessions) as session:
            row = await session.get(ChecklistRunRow, run_id, with_for_update=True)
            if row is None:
                return None
            if row.finished_at is None:
                row.finished_at, row.score = now, score
                await session.flush()
            return _record(row)

    async def previous(self, user_id: int, checklist: str, before: int) -> ChecklistRun | None:
        async with reading(self._sessions) as session:
            row = await session.scalar(
                select(ChecklistRunRow)
                .where(
                    ChecklistRunRow.user_id == user_id,
                    ChecklistRunRow.checklist == checklist,
                    ChecklistRunRow.finished_at.is_not(None),
                    ChecklistRunRow.id < before,
                )
                .order_by(ChecklistRunRow.id.desc())
                .limit(1)
            )
            return _record(row) if row else None

    async def stats(self) -> list[ChecklistStats]:
        finished = ChecklistRunRow.finished_at.is_not(None)
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(
                    ChecklistRunRow.checklist,
                    func.count().filter(finished),
                    func.avg(ChecklistRunRow.score).filter(finished),
                    func.count().filter(ChecklistRunRow.finished_at.is_(None)),
                )
                .group_by(ChecklistRunRow.checklist)
                .order_by(ChecklistRunRow.checklist)
            )
            return [
                ChecklistStats(
                    str(name),
                    cast(int, done),
                    float(cast(float, avg)) if avg is not None else None,
                    cast(int, running),
                )
                for name, done, avg, running in rows.all()
            ]
