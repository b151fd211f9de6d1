"""What the delivery engine needs from the outside, and the outcomes it understands."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The states live in the core, which counts them too; delivery code imports them from here.
from bot.core.outbox_status import FINAL as FINAL
from bot.core.outbox_status import Status as Status


@dataclass(frozen=True, slots=True)
class Item:
    """One message to deliver, as claimed from the outbox."""

    id: int
    key: str
    user_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    expires_at: dt.datetime | None


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # 429: Telegram says when
    BLOCKED = "blocked"  # 403
    CHAT_NOT_FOUND = "chat_not_found"  # 400
    MIGRATED = "migrated"  # the group became a supergroup: new chat id
    TRANSIENT = "transient"  # 5xx or a connection that never carried the request: retry
    AMBIGUOUS = "ambiguous"  # timed out after sending: Telegram may have delivered it
    PERMANENT = "permanent"  # anything else Telegram refused, or an unexpected error
    HELD = "held"  # not attempted: the chat's earlier item went back in line, so this one does


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    retry_after: float | None = None
    new_chat_id: int | None = None
    message_id: int | None = None
    error: str | None = None


class Sender(Protocol):
    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult: ...


class OutboxStore(Protocol):
    async def claim(self, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[Item]:
        """Take up to `limit` due items (pending and not_before <= now, or claimed with an
        expired lease), oldest first, marking them CLAIMED until now + lease."""
        ...

    async def mark_sending(self, ids: Sequence[int], now: dt.datetime) -> None: ...

    async def finish(
        self,
        item_id: int,
        status: Status,
        now: dt.datetime,
        error: str | None = None,
        message_id: int | None = None,
    ) -> None: ...

    async def finish_sent(self, sent: Sequence[tuple[int, int | None]], now: dt.datetime) -> None:
        """Mark many items SENT at once: (item id, Telegram message id)."""
        ...

    async def retry(
        self, item_id: int, not_before: dt.datetime, attempts: int, error: str | None
    ) -> None: ...

    async def release(self, ids: Sequence[int], not_before: dt.datetime) -> None:
        """Put claimed items back to PENDING, unchanged but for their time."""
        ...

    async def move_chat(self, item_id: int, chat_id: int) -> None: ...

    async def abandon_stale(self, now: dt.datetime) -> int:
        """SENDING items whose lease expired (their worker died) become UNCERTAIN."""
        ...

    async def on_blocked(self, user_id: int, now: dt.datetime) -> None:
        """The user blocked the bot: stop everything that would message them."""
        ...
