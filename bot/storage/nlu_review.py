"""The NLU's review queue (bot.core.nlu_review.ReviewQueue) on SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import and_, delete, insert, or_, select, update

from bot.core.nlu_review import TAP_WINDOW, Decision, NewItem, ReviewItem, Source
from bot.storage.access import ReservedIds, database_for
from bot.storage.db import Store, reading, writing
from bot.storage.schema import NluReviewItem

# Run for every answered message (kept a day for the "that didn't help" tap): built once, one
# statement, its values given at run time (see bot.storage.access).
_ADD = insert(NluReviewItem).returning(NluReviewItem.id)


def _values(item: NewItem) -> dict[str, object]:
    """A new item's columns, as `add` and `add_as` write them."""
    return {
        "text": item.text,
        "language": item.language,
        "guess": item.guess,
        "confidence": item.confidence,
        "source": item.source,
        "created_at": item.created_at,
        "tap_key": item.tap_key,
    }


def _item(row: NluReviewItem) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        text=row.text,
        language=row.language,
        guess=row.guess,
        confidence=row.confidence,
        source=cast(Source | None, row.source),
        created_at=row.created_at,
        decision=cast(Decision | None, row.decision),
        topic=row.topic,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


class SqlReviewQueue:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions
        self._db = database_for(sessions)
        self._ids = ReservedIds(self._db, NluReviewItem.id)

    async def add(self, item: NewItem) -> int:
        # In a unit of work, in its transaction; outside one, a transaction by itself.
        return int(await self._db.write_returning(_ADD, _values(item)))

    async def reserve(self) -> int | None:
        # PostgreSQL: from the id's sequence, in blocks. SQLite: None, its INSERT costs no
        # wait (on the loop's thread, bot.storage.access).
        return await self._ids.take()

    async def add_as(self, item_id: int, item: NewItem) -> None:
        await self._db.write_returning(_ADD, {"id": item_id, **_values(item)})

    async def flag(self, item_id: int, source: Source, tap_key: str) -> bool:
        row = NluReviewItem
        async with writing(self._sessions) as session:
            result = await session.execute(
                update(row)
                .where(row.id == item_id, row.decision.is_(None), row.tap_key == tap_key)
                .values(source=source, tap_key=None)
            )
            return bool(getattr(result, "rowcount", 0))

    async def pending(self, language: str | None, limit: int) -> list[ReviewItem]:
        row = NluReviewItem
        query = (
            select(row)
            .where(row.decision.is_(None), row.source.is_not(None))
            .order_by(row.created_at.desc(), row.id.desc())
            .limit(limit)
        )
        if language:
            query = query.where(row.language == language)
        async with reading(self._sessions) as session:
            return [_item(r) for r in (await session.execute(query)).scalars()]

    async def get(self, ids: list[int]) -> list[ReviewItem]:
        row = NluReviewItem
        async with reading(self._sessions) as session:
            found = await session.execute(select(row).where(row.id.in_(ids)).order_by(row.id))
            return [_item(r) for r in found.scalars()]

    async def decide(
        self,
        ids: list[int],
        decision: Decision,
        topic: str | None,
        actor: int | None,
        now: dt.datetime,
    ) -> int:
        row = NluReviewItem
        async with writing(self._sessions) as session:
            result = await session.execute(
                update(row)
                .where(row.id.in_(ids), row.decision.is_(None), row.source.is_not(None))
                .values(
                    decision=decision, topic=topic, decided_by=actor, decided_at=now, tap_key=None
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def decided(self, decision: Decision) -> list[ReviewItem]:
        row = NluReviewItem
        async with reading(self._sessions) as session:
            found = await session.execute(
                select(row).where(row.decision == decision).order_by(row.decided_at, row.id)
            )
            return [_item(r) for r in found.scalars()]

    async def purge(self, now: dt.datetime, retention: dt.timedelta) -> int:
        row = NluReviewItem
        async with writing(self._sessions) as session:
            result = await session.execute(
                delete(row).where(
                    or_(
                        and_(row.source.is_(None), row.created_at < now - TAP_WINDOW),
                        and_(
                            or_(row.decision.is_(None), row.decision == "dismissed"),
                            row.created_at < now - retention,
                        ),
                    )
                )
            )
            await session.execute(
                update(row)
                .where(row.tap_key.is_not(None), row.created_at < now - TAP_WINDOW)
                .values(tap_key=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)
