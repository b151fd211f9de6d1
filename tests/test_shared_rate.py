"""Several bot processes send on one grid of slots in PostgreSQL: together they stay under the
cap in every second, whatever the event loop of any of them does (one that stalls and wakes late
must not send on slots already past), and a 429 one of them gets holds the others too.

Only the cap is asserted: how much of it the processes use depends on how busy the machine is,
and is measured by `python -m bench.shared_rate`, which runs the same processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.shared_rate import SCENARIOS, Stalls, max_in_any_second, run_processes, send_all
from bot.delivery.ratelimit import RateLimiter
from bot.storage.db import make_engine, migrate
from bot.storage.send_rate import SharedSlots

RATE = 100.0
MESSAGES = 150  # by each process: three together take about 4.7 s at 95/s


@pytest.fixture
async def engines(postgres_server: str) -> AsyncIterator[list[AsyncEngine]]:
    migrate(postgres_server)
    made = [make_engine(postgres_server) for _ in range(3)]
    yield made
    for engine in made:
        await engine.dispose()


@pytest.mark.parametrize("stalls", [{}, {40: 0.5, 100: 0.3}], ids=["on-time", "all-stall"])
async def test_processes_together_stay_under_the_cap(
    engines: list[AsyncEngine], stalls: Stalls
) -> None:
    """Three SharedSlots, each with an engine of its own as a process has, in one event loop:
    a stall of the loop stalls all three at once, as a busy machine can."""
    limiters = [RateLimiter(RATE, slots=SharedSlots(engine, RATE)) for engine in engines]
    sent = await asyncio.gather(
        *(
            send_all(limiter, MESSAGES, MESSAGES * n, stalls if n == 0 else {})
            for n, limiter in enumerate(limiters)
        )
    )
    assert [len(times) for times in sent] == [MESSAGES] * 3
    assert max_in_any_second([t for times in sent for t in times]) <= RATE


@pytest.mark.parametrize("scenario", ["one process stalls", "every process stalls"])
def test_real_processes_stay_under_the_cap_when_they_stall(
    postgres_server: str, scenario: str
) -> None:
    """Three processes, each stalling on its own: the others go on sending meanwhile."""
    migrate(postgres_server)
    sent = run_processes(postgres_server, RATE, MESSAGES, SCENARIOS[scenario])
    assert [len(times) for times in sent] == [MESSAGES] * 3
    assert max_in_any_second([t for times in sent for t in times]) <= RATE


async def test_a_429_in_one_process_holds_the_others(engines: list[AsyncEngine]) -> None:
    first, second = (RateLimiter(RATE, slots=SharedSlots(engine, RATE)) for engine in engines[:2])
    await first.acquire(1)
    await second.acquire(2)
    first.pause(1.0)
    paused_at = time.monotonic()
    await asyncio.sleep(0.2)  # the pause reaches the database
    await second.acquire(3)
    assert time.monotonic() - paused_at >= 1.0 - 0.05
