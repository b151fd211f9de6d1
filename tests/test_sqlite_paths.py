"""How SQLite is reached: one trip to the connection's thread per statement, and the per-message
statements on the event loop's own thread without ever making it wait for a lock."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import PendingInput
from bot.storage.db import make_engine, make_sessions, migrate, reading, writing
from bot.storage.inbound import SqlInbound
from bot.storage.subscriptions import SqlConversations
from bot.storage.users import SqlUsers
from tests.auxil.sqlite_trips import Trips

T0 = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture
async def sessions(path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def trips() -> Iterator[list[str]]:
    """The calls handed to the connections' threads."""
    with Trips() as counted:
        yield counted.calls


@pytest.fixture
def other_writer(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection (the command line, say), about to take the write lock."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        yield connection
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.close()


async def test_a_statement_is_one_trip_to_the_thread(
    sessions: async_sessionmaker[AsyncSession], trips: list[str]
) -> None:
    for _ in range(2):  # the first one also opens the connection
        trips.clear()
        async with reading(sessions, one_statement=True) as session:
            assert (await session.execute(text("select 1"))).scalar() == 1
    assert len(trips) == 1  # not cursor, execute, fetch, close and rollback: five
    trips.clear()
    async with writing(sessions) as session:
        await session.execute(
            text("insert into topic_counts (day, topic, count) values ('2026-10-01', 'x', 1)")
        )
        await session.execute(text("update topic_counts set count = 2 where topic = 'x'"))
    # BEGIN IMMEDIATE, two statements, COMMIT
    assert len(trips) == 4
    async with reading(sessions) as session:
        rows = (await session.execute(text("select topic, count from topic_counts"))).all()
    assert [tuple(row) for row in rows] == [("x", 2)]


async def test_a_failed_transaction_is_rolled_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def fails() -> None:
        async with writing(sessions) as session:
            await session.execute(
                text("insert into topic_counts (day, topic, count) values ('2026-10-01', 'y', 1)")
            )
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await fails()
    async with reading(sessions) as session:
        assert (await session.execute(text("select count(*) from topic_counts"))).scalar() == 0


async def test_per_message_statements_take_no_trip(
    sessions: async_sessionmaker[AsyncSession], trips: list[str]
) -> None:
    users, conversations, inbound = (
        SqlUsers(sessions),
        SqlConversations(sessions),
        SqlInbound(sessions),
    )
    await users.touch(1, "bg", T0)
    await conversations.set(1, PendingInput("link", {"n": "1"}), T0)
    trips.clear()
    assert await inbound.store(10, {"update_id": 10}, T0, LEASE) is True
    assert await inbound.store(10, {"update_id": 10}, T0, LEASE) is False  # Telegram resending
    user = await users.get(1)
    assert user is not None and (user.language, user.first_seen) == ("bg", T0)
    assert user.first_seen.tzinfo is not None
    assert await conversations.get(1) == PendingInput("link", {"n": "1"})
    assert await users.get(2) is None and await conversations.get(2) is None
    assert trips == []


async def test_reads_on_the_loop_see_what_the_thread_wrote(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users = SqlUsers(sessions)
    await users.touch(1, "en", T0)
    await users.set_language(1, "bg")  # through the connection's thread
    user = await users.get(1)  # on the loop's thread
    assert user is not None and user.language == "bg"


async def test_reads_go_on_while_another_process_writes(
    sessions: async_sessionmaker[AsyncSession], other_writer: sqlite3.Connection
) -> None:
    users = SqlUsers(sessions)
    await users.touch(1, "en", T0)
    other_writer.execute("BEGIN IMMEDIATE")
    other_writer.execute("update users set language = 'bg' where id = 1")
    started = time.monotonic()
    user = await users.get(1)
    assert user is not None and user.language == "en"  # the last committed state
    # A read that waited for the writer's lock would wait out the busy timeout (30 s,
    # bot/storage/db.py) and then fail, the lock being held throughout: far above this bound,
    # which a loaded machine does not reach either (0.5 s was a timing assertion).
    assert time.monotonic() - started < 15


async def test_a_write_meeting_a_lock_waits_off_the_loop(
    sessions: async_sessionmaker[AsyncSession], other_writer: sqlite3.Connection
) -> None:
    """The store goes the usual way when the database is locked: the loop goes on meanwhile,
    and the update is stored once the lock is released."""
    inbound = SqlInbound(sessions)
    other_writer.execute("BEGIN IMMEDIATE")
    other_writer.execute("delete from inbound_updates")
    storing = asyncio.create_task(inbound.store(11, {"update_id": 11}, T0, LEASE))
    ticks = 0
    for _ in range(10):
        await asyncio.sleep(0.02)
        ticks += 1
    assert not storing.done() and ticks == 10
    other_writer.execute("COMMIT")
    assert await asyncio.wait_for(storing, 10) is True
    assert await inbound.claim(11, T0 + 2 * LEASE, LEASE) == {"update_id": 11}
