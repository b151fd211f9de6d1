"""The NLU's model versions (bot.core.nlu_models.ModelVersions) on SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import select, update

from bot.core.nlu_models import ModelVersion, Status
from bot.storage.db import Store, reading, writing
from bot.storage.schema import NluModelVersion

_FIELDS = {"input_hash", "path", "status", "train_seconds", "scores"}


def _version(row: NluModelVersion) -> ModelVersion:
    return ModelVersion(
        id=row.id,
        input_hash=row.input_hash,
        path=row.path,
        status=cast(Status, row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        examples=row.examples,
        train_seconds=row.train_seconds,
        scores=row.scores,
        promoted_by=row.promoted_by,
        promoted_at=row.promoted_at,
        override_reason=row.override_reason,
        active=row.active,
    )


class SqlModelVersions:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def add(
        self,
        input_hash: str,
        path: str,
        status: Status,
        actor: int | None,
        examples: int,
        now: dt.datetime,
    ) -> int:
        row = NluModelVersion(
            input_hash=input_hash,
            path=path,
            status=status,
            created_by=actor,
            created_at=now,
            examples=examples,
            active=False,
        )
        async with writing(self._sessions) as session:
            session.add(row)
            await session.flush()
            return row.id

    async def update(self, version_id: int, **fields: Any) -> None:
        unknown = set(fields) - _FIELDS
        if unknown:
            raise ValueError(f"not a field one updates: {sorted(unknown)}")
        async with writing(self._sessions) as session:
            await session.execute(
                update(NluModelVersion).where(NluModelVersion.id == version_id).values(**fields)
            )

    async def get(self, version_id: int) -> ModelVersion | None:
        async with reading(self._sessions) as session:
            row = await session.get(NluModelVersion, version_id)
            return _version(row) if row is not None else None

    async def all(self) -> list[ModelVersion]:
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(NluModelVersion).order_by(NluModelVersion.id.desc())
            )
            return [_version(r) for r in rows.scalars()]

    async def activate(
        self, version_id: int, actor: int | None, now: dt.datetime, reason: str | None
    ) -> None:
        row = NluModelVersion
        async with writing(self._sessions) as session:
            # One statement each, in one transaction: never two served, never none.
            await session.execute(
                update(row).where(row.active.is_(True)).values(active=False, status="retired")
            )
            await session.execute(
                update(row)
                .where(row.id == version_id)
                .values(
                    active=True,
                    status="promoted",
                    promoted_by=actor,
                    promoted_at=now,
                    override_reason=reason,
                )
            )
