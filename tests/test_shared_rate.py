"""Several bot processes send on one grid of slots in PostgreSQL: together they stay under the
cap, and a 429 one of them gets holds the others too. (Each SharedSlots below has an engine of
its own, as a separate process would.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.ratelimit import RateLimiter
from bot.storage.db import make_engine, migrate
from bot.storage.send_rate import SharedSlots

RATE = 100.0


@pytest.fixture
async def engines(postgres_server: str) -> AsyncIterator[list[AsyncEngine]]:
    migrate(postgres_server)
    made = [make_engine(postgres_server) for _ in range(3)]
    yield made
    for engine in made:
        await engine.dispose()


def max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


async def test_processes_together_stay_under_the_cap(engines: list[AsyncEngine]) -> None:
    limiters = [RateLimiter(RATE, slots=SharedSlots(engine, RATE)) for engine in engines]
    grants: list[list[float]] = [[] for _ in limiters]

    async def send(n: int, chat: int) -> None:
        await limiters[n].acquire(chat)
        grants[n].append(time.monotonic())

    # Each "process" alone would send 150 messages at up to 100/s.
    await asyncio.gather(
        *(send(n, 1000 * n + chat) for n in range(len(limiters)) for chat in range(150))
    )
    every = sorted(t for granted in grants for t in granted)
    assert max_in_any_second(every) <= RATE
    # All three took part, and together they used the rate: 450 at 95/s is about 4.7 s.
    assert all(len(granted) == 150 for granted in grants)
    assert every[-1] - every[0] < 450 / RATE * 1.15


async def test_a_429_in_one_process_holds_the_others(engines: list[AsyncEngine]) -> None:
    first, second = (RateLimiter(RATE, slots=SharedSlots(engine, RATE)) for engine in engines[:2])
    await first.acquire(1)
    await second.acquire(2)
    first.pause(1.0)
    paused_at = time.monotonic()
    await asyncio.sleep(0.2)  # the pause reaches the database
    await second.acquire(3)
    assert time.monotonic() - paused_at >= 1.0 - 0.05
