"""Memory fakes of the NLU review queue and the model versions (issue 18)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.core.nlu_models import ModelVersion, Status
from bot.core.nlu_review import TAP_WINDOW, Decision, NewItem, ReviewItem, Source


class MemoryReviewQueue:
    def __init__(self) -> None:
        self.items: dict[int, ReviewItem] = {}
        self.tap_keys: dict[int, str] = {}

    async def add(self, item: NewItem) -> int:
        item_id = len(self.items) + 1
        self.put(item_id, item)
        return item_id

    def put(self, item_id: int, item: NewItem) -> None:
        """The item stored under `item_id` (by `add`, or as a reserved id's row)."""
        self.items[item_id] = ReviewItem(
            item_id,
            item.text,
            item.language,
            item.guess,
            item.confidence,
            item.source,
            item.created_at,
        )
        if item.tap_key is not None:
            self.tap_keys[item_id] = item.tap_key

    async def flag(self, item_id: int, source: Source, tap_key: str) -> bool:
        item = self.items.get(item_id)
        if item is None or item.decision is not None or self.tap_keys.get(item_id) != tap_key:
            return False
        self.items[item_id] = dataclasses.replace(item, source=source)
        del self.tap_keys[item_id]
        return True

    async def pending(self, language: str | None, limit: int) -> list[ReviewItem]:
        waiting = [
            i
            for i in self.items.values()
            if i.decision is None and i.source is not None and language in (None, i.language)
        ]
        return sorted(waiting, key=lambda i: (i.created_at, i.id), reverse=True)[:limit]

    async def get(self, ids: list[int]) -> list[ReviewItem]:
        return [self.items[i] for i in sorted(ids) if i in self.items]

    async def decide(
        self,
        ids: list[int],
        decision: Decision,
        topic: str | None,
        actor: int | None,
        now: dt.datetime,
    ) -> int:
        changed = 0
        for item_id in ids:
            item = self.items.get(item_id)
            if item is None or item.decision is not None or item.source is None:
                continue
            self.items[item_id] = dataclasses.replace(
                item, decision=decision, topic=topic, decided_by=actor, decided_at=now
            )
            self.tap_keys.pop(item_id, None)
            changed += 1
        return changed

    async def decided(self, decision: Decision) -> list[ReviewItem]:
        chosen = [i for i in self.items.values() if i.decision == decision]
        return sorted(chosen, key=lambda i: (i.decided_at or i.created_at, i.id))

    async def purge(self, now: dt.datetime, retention: dt.timedelta) -> int:
        gone = [
            i.id
            for i in self.items.values()
            if (i.source is None and i.created_at < now - TAP_WINDOW)
            or (i.decision in (None, "dismissed") and i.created_at < now - retention)
        ]
        for item_id in gone:
            del self.items[item_id]
            self.tap_keys.pop(item_id, None)
        for item_id in [i for i in self.tap_keys if self.items[i].created_at < now - TAP_WINDOW]:
            del self.tap_keys[item_id]
        return len(gone)


class MemoryModelVersions:
    def __init__(self) -> None:
        self.rows: dict[int, ModelVersion] = {}

    async def add(
        self,
        input_hash: str,
        path: str,
        status: Status,
        actor: int | None,
        examples: int,
        now: dt.datetime,
    ) -> int:
        version_id = len(self.rows) + 1
        self.rows[version_id] = ModelVersion(
            version_id, input_hash, path, status, actor, now, examples
        )
        return version_id

    async def update(self, version_id: int, **fields: Any) -> None:
        self.rows[version_id] = dataclasses.replace(self.rows[version_id], **fields)

    async def get(self, version_id: int) -> ModelVersion | None:
        return self.rows.get(version_id)

    async def all(self) -> list[ModelVersion]:
        return sorted(self.rows.values(), key=lambda v: v.id, reverse=True)

    async def activate(
        self, version_id: int, actor: int | None, now: dt.datetime, reason: str | None
    ) -> None:
        for key, row in self.rows.items():
            if row.active:
                self.rows[key] = dataclasses.replace(row, active=False, status="retired")
        self.rows[version_id] = dataclasses.replace(
            self.rows[version_id],
            active=True,
            status="promoted",
            promoted_by=actor,
            promoted_at=now,
            override_reason=reason,
        )


class ReservingReviewQueue:
    """The answers' queue where ids are handed out ahead of the rows (as on PostgreSQL): rows
    land in `queue` (the unit of work's) only when `add_as` runs."""

    FIRST_RESERVED = 1_000_000  # far from MemoryReviewQueue's own ids

    def __init__(self, queue: MemoryReviewQueue) -> None:
        self.queue = queue
        self._next = self.FIRST_RESERVED
        self.written: list[int] = []

    async def add(self, item: NewItem) -> int:
        return await self.queue.add(item)

    async def reserve(self) -> int | None:
        self._next += 1
        return self._next

    async def add_as(self, item_id: int, item: NewItem) -> None:
        assert item_id not in self.queue.items
        self.queue.put(item_id, item)
        self.written.append(item_id)
