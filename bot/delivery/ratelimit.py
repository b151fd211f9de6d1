"""Telegram's limits as a schedule of send slots: a global rate per bot and at most one message
per second per chat, with a global pause when Telegram answers 429."""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

_EPSILON = 1e-9


class RateLimiter:
    """Every caller reserves its own slot and sleeps once until it comes.

    Slots sit on a fixed grid (1/rate apart), so a caller the event loop wakes a little late
    costs nobody else any rate; and no caller is woken just to find the slot taken, which is
    what a token bucket polled by hundreds of waiting senders would do.
    """

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
        self._interval = 1.0 / self.per_second
        self._clock = clock
        self._sleep = sleep
        self._next_slot = clock()
        self._paused_until = 0.0
        # The latest sends, as many as fit in one second at the paced rate.
        self._sent: deque[float] = deque(
            maxlen=max(math.ceil(self.per_second), int(per_second + self.per_second) // 2)
        )
        # Each chat's latest slot, only as long as it can still matter: memory stays bounded.
        self._chats: OrderedDict[int, float] = OrderedDict()

    def pause(self, seconds: float) -> None:
        """Telegram said 429 retry_after: nobody sends until then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, chat_id: int) -> None:
        while True:
            now = self._clock()
            self._forget_old_chats(now)
            # An idle limiter may lend up to `capacity` slots from the past (the burst).
            earliest = now - (self.capacity - 1) * self._interval
            slot = max(earliest, self._next_slot, self._paused_until)
            previous = self._chats.get(chat_id)
            if previous is not None and previous + self.per_chat_interval > slot + _EPSILON:
                # The chat is not ready yet: wait for it without holding a slot, which would
                # hold up every other chat behind it.
                await self._sleep(previous + self.per_chat_interval - now)
                continue
            self._next_slot = slot + self._interval
            self._chats[chat_id] = slot
            self._chats.move_to_end(chat_id)
            if slot - now > _EPSILON:
                await self._sleep(slot - now)
            if self._paused_until <= slot + _EPSILON:
                self._chats[chat_id] = await self._within_window()
                self._chats.move_to_end(chat_id)
                return
            # A 429 arrived while this caller waited, and its slot falls in the pause: give the
            # chat its previous slot back and queue again behind the pause.
            if previous is None:
                self._chats.pop(chat_id, None)
            else:
                self._chats[chat_id] = previous

    async def _within_window(self) -> float:
        """Wait, if need be, until the trailing second has room, and count this send in it.

        The grid alone keeps sends apart only if callers wake on time: after the event loop
        was busy for a while, the callers whose slots passed meanwhile all wake at once."""
        while len(self._sent) == self._sent.maxlen:
            wait = self._sent[0] + 1.0 - self._clock()
            if wait <= _EPSILON:
                break
            await self._sleep(wait)
        now = self._clock()
        self._sent.append(now)
        return now

    def _forget_old_chats(self, now: float) -> None:
        while self._chats:
            chat, last = next(iter(self._chats.items()))
            if now - last < self.per_chat_interval:
                break
            del self._chats[chat]
