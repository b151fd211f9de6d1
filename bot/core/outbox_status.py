"""Where a message in the outbox stands. The delivery engine moves it from state to state;
the organisers' /broadcasts counts the messages of an announcement by state."""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    PENDING = "pending"  # waiting for its time (not_before)
    CLAIMED = "claimed"  # taken by a worker, not yet attempted: safe to take again after the lease
    SENDING = "sending"  # handed to Telegram: never attempted again (at most once)
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot
    FAILED = "failed"  # permanent error, or retries exhausted
    EXPIRED = "expired"  # its moment passed (yesterday's tip, an event that started)
    UNCERTAIN = "uncertain"  # a worker died mid-send, or a timeout: Telegram may have it
    CANCELLED = "cancelled"  # withdrawn before it was sent (a cancelled announcement or event)


FINAL = frozenset(
    {
        Status.SENT,
        Status.BLOCKED,
        Status.FAILED,
        Status.EXPIRED,
        Status.UNCERTAIN,
        Status.CANCELLED,
    }
)

# Neither sent nor given up yet: what /broadcasts counts as waiting.
WAITING = frozenset({Status.PENDING, Status.CLAIMED, Status.SENDING})
