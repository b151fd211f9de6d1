"""Time that passes only when something waits for it: a test of minutes of pauses and retries
(an outage of the Bot API, backoffs, 429 pauses) runs in the seconds its work takes.

One clock for everything the test gives it to: `monotonic` for what measures intervals (the
rate limiter, the fake Bot API's outage), `now` for what stores times (the delivery engine, the
outbox's due times), and `sleep`, which moves the clock on to when the sleeper would wake and
returns at once. Waits that overlap in real time add up here (each moves the clock on by its
own wait), so this clock can only run ahead of a real one: nobody wakes before the time it
waited for, and a pause of a minute is at least a minute on it."""

from __future__ import annotations

import asyncio
import datetime as dt


class VirtualTime:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self.start = start or dt.datetime.now(dt.UTC)
        self.elapsed = 0.0  # seconds since `start`

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.elapsed)

    async def sleep(self, seconds: float) -> None:
        self.elapsed += max(0.0, seconds)
        # A sleep still lets every other task run, as a real one does.
        await asyncio.sleep(0)
