"""The first reads of a free-text message as one statement on PostgreSQL (bot/storage/
first_reads.py) give what the three ports give one by one: the flood verdicts, the user touched
(made, renewed at most once a quarter hour, its region and zone), the pending question; on
the direct path and through SQLAlchemy alike. (The dialogue reads free text with it wherever
bootstrap runs on PostgreSQL: tests/test_pg_direct.py, tests/test_webhook.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.flood import FloodLimit
from bot.core.ports import PendingInput
from bot.storage.access import Database, PostgresDatabase, database_for
from bot.storage.db import make_sessions
from bot.storage.first_reads import PgFirstReads
from bot.storage.flood import SqlFloodGate
from bot.storage.subscriptions import SqlConversations
from bot.storage.users import SqlUsers

pytestmark = pytest.mark.postgres

T0 = dt.datetime(2026, 10, 12, 9, 0, 0, 123456, tzinfo=dt.UTC)
SOFIA = dt.timezone(dt.timedelta(hours=2))
LIMIT = FloodLimit(messages=3, window=dt.timedelta(seconds=10))


@pytest.fixture
def engine(migrated_postgres_engine: AsyncEngine) -> AsyncEngine:
    return migrated_postgres_engine


async def test_one_statement_gives_what_the_three_ports_give(engine: AsyncEngine) -> None:
    sessions = make_sessions(engine)
    direct = database_for(sessions)
    assert isinstance(direct, PostgresDatabase)
    # The same reads through SQLAlchemy's own path (a plain access object on the engine).
    for database in (direct, Database(sessions)):
        first = PgFirstReads(database, LIMIT)
        flood, users = SqlFloodGate(database, LIMIT), SqlUsers(database)
        conversations = SqlConversations(database)
        # Users 1 (read together) and 2 (the three ports) see the same times and messages.
        base = 10 if database is direct else 20
        one, two = base + 1, base + 2
        seconds = (0, 1, 2, 3, 4, 5, 16, 60 * 16, 60 * 16 + 1, 60 * 40)
        for n, second in enumerate(seconds):
            now = (T0 + dt.timedelta(seconds=second)).astimezone(SOFIA if n % 2 else dt.UTC)
            verdict, user, pending = await first.read(one, "bg", now)
            expected = (
                await flood.check(two, now),
                await users.touch(two, "bg", now),
                await conversations.get(two),
            )
            assert verdict == expected[0], (n, second)
            assert (user.language, user.first_seen, user.last_seen, user.region) == (
                expected[1].language,
                expected[1].first_seen,
                expected[1].last_seen,
                expected[1].region,
            )
            assert user.user_id == one and pending == expected[2]
            assert user == await users.get(one)
            assert user.first_seen.utcoffset() == dt.timedelta(0)
            if n == 2:  # a region, a language of the user's choice and a pending question
                data: dict[str, Any] = {"step": "ask", "n": 3, "list": [1, "два"]}
                for who in (one, two):
                    await users.set_region(who, "Пловдив")
                    await users.set_language(who, "en")
                    await conversations.set(who, PendingInput("link", data), now)
        assert pending == PendingInput("link", data)


async def test_a_new_user_is_made_and_counted(engine: AsyncEngine) -> None:
    """A new user's first messages: made with the platform's language, counted, then read."""
    database = database_for(engine)
    first = PgFirstReads(database, FloodLimit(messages=2))
    verdicts = [(await first.read(7, "en", T0))[0].value for _ in range(4)]
    assert verdicts == ["allow", "allow", "notice", "drop"]
    user = await SqlUsers(database).get(7)
    assert user is not None and (user.language, user.first_seen) == ("en", T0)
