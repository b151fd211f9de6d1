"""Telegram's limits as a token bucket: a global rate per bot and at most one message per second
per chat, with a global pause when Telegram answers 429."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

_EPSILON = 1e-9
_TIMER_SLACK = 0.0015


class RateLimiter:
    def __init__(
        self,
        per_second: float,
        per_chat_interval: float = 1.0,
        headroom: float = 0.985,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # Pace a little under the cap: the time between leaving here and reaching Telegram
        # varies by a few milliseconds, and a strict one-second window counts arrivals.
        self.per_second = per_second * headroom
        self.per_chat_interval = per_chat_interval
        # No burst by default: evenly spaced sends never put more than the cap into any
        # one-second window, which is how Telegram counts.
        self.capacity = burst if burst is not None else 1.0
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._paused_until = 0.0
        # Last send per chat, only as long as it can still matter: memory stays bounded.
        self._chats: OrderedDict[int, float] = OrderedDict()
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Telegram said 429 retry_after: nobody sends until then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, chat_id: int) -> None:
        while True:
            async with self._lock:
                now = self._clock()
                self._forget_old_chats(now)
                self._refill(now)
                wait = max(0.0, self._paused_until - now)
                last = self._chats.get(chat_id)
                if last is not None:
                    wait = max(wait, last + self.per_chat_interval - now)
                if self._tokens < 1 - _EPSILON:
                    wait = max(wait, (1 - self._tokens) / self.per_second)
                # Float round-off must not turn "due now" into an endless series of tiny waits.
                if wait <= _EPSILON:
                    self._tokens -= 1
                    self._chats[chat_id] = now
                    self._chats.move_to_end(chat_id)
                    return
            # Sleep outside the lock: one chat's wait must not hold up the others. The event
            # loop wakes timers up to a millisecond late, and with no burst allowed every late
            # wake-up is lost rate; so sleep to just before the slot and yield until it comes.
            await self._sleep(wait - _TIMER_SLACK if wait > 2 * _TIMER_SLACK else 0)

    def _refill(self, now: float) -> None:
        elapsed = now - self._updated
        self._updated = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.per_second)

    def _forget_old_chats(self, now: float) -> None:
        while self._chats:
            chat, last = next(iter(self._chats.items()))
            if now - last < self.per_chat_interval:
                break
            del self._chats[chat]
