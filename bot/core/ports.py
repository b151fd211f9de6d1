"""The small interfaces through which the core reaches the outside world."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Parse:
    """The NLU's reading of a message: intents best first, and the entities it found."""

    ranking: tuple[IntentScore, ...]
    entities: tuple[Entity, ...] = ()


class NLUUnavailable(Exception):
    """The NLU did not answer in time or answered with an error."""


class NLU(Protocol):
    async def parse(self, text: str) -> Parse: ...


@dataclass(frozen=True, slots=True)
class UserRecord:
    user_id: int
    language: str
    first_seen: dt.datetime
    last_seen: dt.datetime


class Users(Protocol):
    async def get(self, user_id: int) -> UserRecord | None: ...

    async def touch(self, user_id: int, language: str, now: dt.datetime) -> UserRecord:
        """Create the user with `language` if new, otherwise update last_seen only."""
        ...

    async def set_language(self, user_id: int, language: str) -> None: ...


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    user_id: int
    audience: str
    send_minute: int
    timezone: str
    active: bool


class Subscriptions(Protocol):
    async def get(self, user_id: int) -> SubscriptionRecord | None: ...

    async def save(
        self, user_id: int, audience: str, send_minute: int, timezone: str, now: dt.datetime
    ) -> SubscriptionRecord:
        """Create or change the subscription and make it active from the next send time."""
        ...

    async def deactivate(self, user_id: int, now: dt.datetime) -> bool:
        """Stop the tips; False when there was no active subscription."""
        ...


@dataclass(frozen=True, slots=True)
class PendingInput:
    """A question the bot asked and whose typed answer it waits for."""

    flow: str
    data: dict[str, str]


class Conversations(Protocol):
    async def get(self, user_id: int) -> PendingInput | None: ...

    async def set(self, user_id: int, pending: PendingInput, now: dt.datetime) -> None: ...

    async def clear(self, user_id: int) -> None: ...


class Unanswered(Protocol):
    """Messages the NLU could not place, kept without who sent them, for organisers to review."""

    async def record(
        self,
        text: str,
        language: str,
        best_guess: str | None,
        confidence: float,
        now: dt.datetime,
    ) -> None: ...
