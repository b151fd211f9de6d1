"""The sending grid in PostgreSQL, shared by every bot process (see bot.delivery.ratelimit).

Each process reserves a short block of consecutive slots at a time (a tenth of a second's
worth) with one UPDATE of a single row, so the processes together stay under Telegram's cap
however many of them send, at one round trip per block rather than per message. Times in the
row are seconds on the database's clock, which every process shares; each block is moved onto
the process's own clock as it arrives.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import ColumnElement, Float, cast, func, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import SendRate

log = logging.getLogger(__name__)

OFFSET_FRESH_SECONDS = 60.0
# The share of Telegram's cap the processes pace at together: a wider margin than one process
# needs (RateLimiter's HEADROOM), for sends up to LATE_LIMIT after their slots and the error of
# each process's estimate of the database's clock.
SHARED_HEADROOM = 0.95
# How long after its slot a process may still send on it. No process sees another's sends, only
# the grid: a process that woke late (its event loop or the machine was busy) and sent on slots
# already past would add them to a second the others fill on time. So every send falls within
# LATE_LIMIT of a slot of its own, the slots 1/(0.95 cap) apart on the database's clock: no
# one-second window holds more than (1 + LATE_LIMIT + twice the error of a process's clock
# offset, under a millisecond on one machine) x 0.95 cap + 1 sends, under the cap.
LATE_LIMIT = 0.010


def _db_now() -> ColumnElement[float]:
    return cast(func.extract("epoch", func.clock_timestamp()), Float)


class SharedSlots:
    late_limit = LATE_LIMIT

    def __init__(
        self,
        engine: AsyncEngine,
        cap: float,
        block_seconds: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        per_second = cap * SHARED_HEADROOM
        self.interval = 1.0 / per_second
        self.block = max(1, round(per_second * block_seconds))
        self._clock = clock
        self._free: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._pausing: set[asyncio.Task[None]] = set()
        self._local_next = 0.0
        self._best: tuple[float, float, float] | None = None  # round trip, offset, when

    async def take(self, not_before: float) -> float:
        async with self._lock:
            while self._free and self._free[0] < not_before:
                self._free.popleft()  # passed unused: gone, for every process
            if not self._free:
                await self._reserve(not_before)
            return self._free.popleft()

    def pause(self, seconds: float) -> None:
        self._free.clear()  # slots inside the pause are no use to anyone
        task = asyncio.create_task(self._pause(seconds))
        self._pausing.add(task)
        task.add_done_callback(self._pausing.discard)

    async def _reserve(self, not_before: float) -> None:
        ahead = max(0.0, not_before - self._clock())
        span = self.block * self.interval
        try:
            reserve = (
                update(SendRate)
                .where(SendRate.id == 1)
                .values(
                    next_slot=func.greatest(
                        SendRate.next_slot, _db_now() + ahead, SendRate.paused_until
                    )
                    + span
                )
                .returning(SendRate.next_slot - span, _db_now())
            )
            async with self._engine.connect() as conn:
                # One statement is atomic by itself: in autocommit it is one round trip (not
                # three with BEGIN and COMMIT), and the quicker the trip, the closer the
                # estimate of the database's clock, on which the cap depends (LATE_LIMIT).
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                sent = self._clock()
                start, db_now = (await conn.execute(reserve)).one()
                received = self._clock()
            first = float(start) - self._offset(float(db_now), sent, received)
        except Exception as exc:
            # Without the database no process can mark anything for sending, so the others
            # have at most the waves already marked to send: this block goes on this
            # process's own grid rather than stalling what it has marked.
            log.warning("shared send rate unavailable, pacing locally: %s", type(exc).__name__)
            first = max(not_before, self._local_next)
        self._local_next = first + span
        self._free.extend(first + i * self.interval for i in range(self.block))

    def _offset(self, db_now: float, sent: float, received: float) -> float:
        """The database's clock minus ours. Each answer says what the database's clock read
        somewhere between sending and receiving; the quickest answer says it most precisely,
        so that estimate is kept for a minute (clocks drift apart slowly)."""
        round_trip = received - sent
        estimate = db_now - (sent + received) / 2
        if (
            self._best is None
            or round_trip <= self._best[0]
            or received - self._best[2] > OFFSET_FRESH_SECONDS
        ):
            self._best = (round_trip, estimate, received)
        return self._best[1]

    async def _pause(self, seconds: float) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(SendRate)
                    .where(SendRate.id == 1)
                    .values(paused_until=func.greatest(SendRate.paused_until, _db_now() + seconds))
                )
        except Exception as exc:
            log.warning("could not share a 429 pause: %s", type(exc).__name__)
