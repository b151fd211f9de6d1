"""Hand-written fakes for the core's ports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from bot.core.ports import (
    Entity,
    IntentScore,
    NLUUnavailable,
    Parse,
    PendingInput,
    SubscriptionRecord,
    UserRecord,
)
from bot.core.schedule import next_send


def parse_of(*ranking: tuple[str, float], entities: tuple[tuple[str, str], ...] = ()) -> Parse:
    return Parse(
        ranking=tuple(IntentScore(name, confidence) for name, confidence in ranking),
        entities=tuple(Entity(name, value) for name, value in entities),
    )


class FakeNLU:
    """Answers from a table of text -> Parse, or raises NLUUnavailable when `down`."""

    def __init__(
        self, table: dict[str, Parse] | None = None, default: Callable[[str], Parse] | None = None
    ) -> None:
        self.table = table or {}
        self.default = default or (lambda _text: parse_of(("out_of_scope", 0.9)))
        self.down = False
        self.seen: list[str] = []

    async def parse(self, text: str) -> Parse:
        self.seen.append(text)
        if self.down:
            raise NLUUnavailable("down")
        return self.table.get(text) or self.default(text)


class MemoryUsers:
    def __init__(self) -> None:
        self.rows: dict[int, UserRecord] = {}

    async def get(self, user_id: int) -> UserRecord | None:
        return self.rows.get(user_id)

    async def touch(self, user_id: int, language: str, now: dt.datetime) -> UserRecord:
        row = self.rows.get(user_id)
        if row is None:
            row = UserRecord(user_id, language, now, now)
        else:
            row = UserRecord(user_id, row.language, row.first_seen, now)
        self.rows[user_id] = row
        return row

    async def set_language(self, user_id: int, language: str) -> None:
        row = self.rows[user_id]
        self.rows[user_id] = UserRecord(user_id, language, row.first_seen, row.last_seen)


class FixedClock:
    def __init__(self, now: dt.datetime) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)


class MemorySubscriptions:
    def __init__(self) -> None:
        self.rows: dict[int, SubscriptionRecord] = {}
        self.next_due: dict[int, dt.datetime | None] = {}

    async def get(self, user_id: int) -> SubscriptionRecord | None:
        return self.rows.get(user_id)

    async def save(
        self, user_id: int, audience: str, send_minute: int, timezone: str, now: dt.datetime
    ) -> SubscriptionRecord:
        row = SubscriptionRecord(user_id, audience, send_minute, timezone, True)
        self.rows[user_id] = row
        self.next_due[user_id] = next_send(now, send_minute, ZoneInfo(timezone))
        return row

    async def deactivate(self, user_id: int, now: dt.datetime) -> bool:
        row = self.rows.get(user_id)
        if row is None or not row.active:
            return False
        self.rows[user_id] = SubscriptionRecord(
            user_id, row.audience, row.send_minute, row.timezone, False
        )
        self.next_due[user_id] = None
        return True


class MemoryConversations:
    def __init__(self) -> None:
        self.rows: dict[int, PendingInput] = {}

    async def get(self, user_id: int) -> PendingInput | None:
        return self.rows.get(user_id)

    async def set(self, user_id: int, pending: PendingInput, now: dt.datetime) -> None:
        self.rows[user_id] = pending

    async def clear(self, user_id: int) -> None:
        self.rows.pop(user_id, None)


class MemoryUnanswered:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str | None, float]] = []

    async def record(
        self,
        text: str,
        language: str,
        best_guess: str | None,
        confidence: float,
        now: dt.datetime,
    ) -> None:
        self.rows.append((text, language, best_guess, confidence))
