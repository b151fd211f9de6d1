"""What the delivery engine needs from the outside, and the outcomes it understands. The outbox's
side (Item, OutboxStore, the states) is in the core, which storage implements without importing
delivery; the engine names it from here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.outbox_status import FINAL as FINAL
from bot.core.outbox_status import Status as Status
from bot.core.outbox_store import Item as Item
from bot.core.outbox_store import OutboxStore as OutboxStore


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
