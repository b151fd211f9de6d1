"""The outbox as the delivery engine takes from it: one claimed Item, and the OutboxStore port
that storage implements (bot/storage/outbox.py). The states are bot/core/outbox_status.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.outbox_status import Status


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
