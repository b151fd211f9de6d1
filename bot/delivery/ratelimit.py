"""Telegram's limits as a schedule of send slots: a global rate per bot and at most one message
per second per chat, with a global pause when Telegram answers 429."""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Protocol

_EPSILON = 1e-9
# Pace a little under the cap: the time between leaving here and reaching Telegram varies by a
# few milliseconds, and a strict one-second window counts arrivals.
HEADROOM = 0.985


class Slots(Protocol):
    """Where the global slots come from: this process alone, or a grid every process shares."""

    # How long after its slot a caller may still send. A caller that wakes later than this
    # (its event loop was busy) gives the slot up and reserves a new one.
    late_limit: float

    async def take(self, not_before: float) -> float:
        """Reserve the next free slot at or after `not_before` (on the limiter's clock)."""
        ...

    def pause(self, seconds: float) -> None:
        """Telegram said 429: no slot before `seconds` from now, for anyone sharing the grid."""
        ...


class LocalSlots:
    """A grid this process has to itself (SQLite; or a single sender)."""

    # A late caller may still use its slot: the limiter's trailing window counts every send of
    # the process, so those woken late together catch up without going over the cap.
    late_limit = math.inf

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0

    async def take(self, not_before: float) -> float:
        slot = max(not_before, self._next)
        self._next = slot + self.interval
        return slot

    def pause(self, seconds: float) -> None:
        pass  # the limiter keeps the pause itself


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
        slots: Slots | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second * HEADROOM
        self.per_chat_interval = per_chat_interval
        self._slots = slots or LocalSlots(self.per_second)
        self._clock = clock
        self._sleep = sleep
        self._paused_until = 0.0
        # The latest sends, as many as fit in one second (a little over the paced rate, under
        # the cap): see _window_has_room.
        self._sent: deque[float] = deque(
            maxlen=max(math.ceil(self.per_second), int(per_second + self.per_second) // 2)
        )
        # Each chat's latest slot, only as long as it can still matter: memory stays bounded.
        self._chats: OrderedDict[int, float] = OrderedDict()

    def pause(self, seconds: float) -> None:
        """Telegram said 429 retry_after: nobody sends until then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._slots.pause(seconds)

    async def acquire(self, chat_id: int) -> None:
        while True:
            now = self._clock()
            self._forget_old_chats(now)
            earliest = max(now, self._paused_until)
            previous = self._chats.get(chat_id)
            if previous is not None and previous + self.per_chat_interval > earliest + _EPSILON:
                # The chat is not ready yet: wait for it without holding a slot, which would
                # hold up every other chat behind it.
                await self._sleep(previous + self.per_chat_interval - now)
                continue
            slot = await self._slots.take(earliest)
            self._chats[chat_id] = slot
            self._chats.move_to_end(chat_id)
            now = self._clock()
            if slot - now > _EPSILON:
                await self._sleep(slot - now)
            await self._window_has_room()
            # Nothing is awaited from here until the caller sends: `now` is when it sends.
            now = self._clock()
            if self._paused_until <= slot + _EPSILON and now - slot <= self._slots.late_limit:
                self._sent.append(now)
                self._chats[chat_id] = now
                self._chats.move_to_end(chat_id)
                return
            # A 429 arrived while this caller waited and its slot falls in the pause; or the
            # caller woke too late to send on a slot the other processes count on. Give the
            # chat its previous slot back and queue again.
            if previous is None:
                self._chats.pop(chat_id, None)
            else:
                self._chats[chat_id] = previous

    async def _window_has_room(self) -> None:
        """Wait, if need be, until the trailing second has room for one more send.

        The grid alone keeps sends apart only if callers wake on time: after the event loop
        was busy for a while, the callers whose slots passed meanwhile all wake at once. On a
        grid of its own, the process lets them catch up, a little over the paced rate, but
        never over the cap. (On a shared grid they give their slots up instead.)"""
        while len(self._sent) == self._sent.maxlen:
            wait = self._sent[0] + 1.0 - self._clock()
            if wait <= _EPSILON:
                return
            await self._sleep(wait)

    def _forget_old_chats(self, now: float) -> None:
        while self._chats:
            chat, last = next(iter(self._chats.items()))
            if now - last < self.per_chat_interval:
                break
            del self._chats[chat]
