"""Flood control shared through the database, on SQLite and PostgreSQL: two bot processes (two
engines here) serving one user's messages count them together."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.core.flood import FloodLimit, Verdict
from bot.storage.db import make_engine, make_sessions, reading
from bot.storage.flood import SqlFloodGate
from bot.storage.schema import FloodWindow
from tests.auxil.schema import migrated

T0 = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
LIMIT = FloodLimit(messages=12, window=dt.timedelta(seconds=10))


@pytest.fixture
async def gates(database_url: str) -> AsyncIterator[tuple[SqlFloodGate, SqlFloodGate]]:
    """Two processes' gates on one database."""
    migrated(database_url)
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        first, second = (SqlFloodGate(make_sessions(engine), LIMIT) for engine in engines)
        yield first, second
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_limit_and_the_single_notice_hold_across_processes(
    gates: tuple[SqlFloodGate, SqlFloodGate],
) -> None:
    first, second = gates
    at = [T0 + dt.timedelta(milliseconds=100 * n) for n in range(20)]
    # The load balancer alternates: messages 1, 3, 5... reach one process, 2, 4, 6... the other.
    verdicts = [await (first, second)[n % 2].check(7, at[n]) for n in range(20)]
    assert verdicts == [Verdict.ALLOW] * 12 + [Verdict.NOTICE] + [Verdict.DROP] * 7
    # Another user has a count of their own.
    assert await second.check(8, at[19]) is Verdict.ALLOW
    # Once the window has passed, the user is heard again, with a fresh count.
    later = T0 + LIMIT.window
    assert await first.check(7, later) is Verdict.ALLOW
    assert await second.check(7, later + dt.timedelta(seconds=1)) is Verdict.ALLOW


async def test_messages_counted_at_once_are_each_counted(
    gates: tuple[SqlFloodGate, SqlFloodGate],
) -> None:
    first, second = gates
    verdicts = await asyncio.gather(*((first, second)[n % 2].check(9, T0) for n in range(30)))
    assert Counter(verdicts) == {Verdict.ALLOW: 12, Verdict.NOTICE: 1, Verdict.DROP: 17}


async def test_ended_windows_are_purged(gates: tuple[SqlFloodGate, SqlFloodGate]) -> None:
    first, _ = gates
    await first.check(1, T0)
    await first.check(2, T0 + dt.timedelta(seconds=8))
    assert await first.purge(T0 + dt.timedelta(seconds=12)) == 1
    async with reading(first._sessions) as session:
        users = (await session.execute(select(FloodWindow.user_id))).scalars().all()
        assert list(users) == [2]
        assert await session.scalar(select(func.count()).select_from(FloodWindow)) == 1
