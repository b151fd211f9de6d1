"""Storage against real SQLite and PostgreSQL (see the database_url fixture)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import inspect, text

from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.outbox import SqlOutbox, new_row
from bot.storage.users import SqlUsers

T0 = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)


async def test_migrations_create_schema_and_are_idempotent(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            version = (await conn.execute(text("select version_num from alembic_version"))).scalar()
        assert "users" in tables
        assert version is not None
    finally:
        await engine.dispose()


async def test_users_roundtrip(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        users = SqlUsers(make_sessions(engine))
        assert await users.get(5_000_000_000) is None  # ids beyond 32 bits
        created = await users.touch(5_000_000_000, "bg", T0)
        assert (created.language, created.first_seen) == ("bg", T0)
        later = T0 + dt.timedelta(hours=3)
        touched = await users.touch(5_000_000_000, "en", later)
        assert touched.language == "bg"  # touch never overrides a stored choice
        assert touched.first_seen == T0 and touched.last_seen == later
        await users.set_language(5_000_000_000, "en")
        fetched = await users.get(5_000_000_000)
        assert fetched is not None and fetched.language == "en"
        assert fetched.last_seen.tzinfo is not None
    finally:
        await engine.dispose()


async def test_concurrent_first_messages_create_one_user(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        users = SqlUsers(make_sessions(engine))
        results = await asyncio.gather(*(users.touch(77, "en", T0) for _ in range(8)))
        assert {r.user_id for r in results} == {77}
        async with engine.connect() as conn:
            count = (await conn.execute(text("select count(*) from users"))).scalar()
        assert count == 1
    finally:
        await engine.dispose()


async def test_timestamps_are_stored_and_read_as_utc(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        users = SqlUsers(make_sessions(engine))
        sofia = dt.timezone(dt.timedelta(hours=3))
        await users.touch(9, "bg", dt.datetime(2026, 10, 1, 11, 0, tzinfo=sofia))
        fetched = await users.get(9)
        assert fetched is not None
        assert fetched.first_seen == T0  # 11:00+03:00 is 08:00 UTC
        assert fetched.first_seen.utcoffset() == dt.timedelta(0)
    finally:
        await engine.dispose()


def test_migrations_match_the_models(database_url: str) -> None:
    """What Alembic builds is what the ORM expects: autogenerate finds nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from bot.storage.db import engine_url
    from bot.storage.schema import Base

    migrate(database_url)
    engine = create_engine(engine_url(database_url, asynchronous=False))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


async def test_reads_do_not_wait_for_a_writer(database_url: str) -> None:
    """A long write transaction (a broadcast fan-out, say) must not hold up reading a user's
    record: on SQLite, reads take no lock; PostgreSQL never made them wait."""
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        users = SqlUsers(sessions)
        await users.touch(7, "en", T0)
        async with sessions.begin() as writer:
            await writer.execute(text("update users set region = 'sofia-city' where id = 7"))
            # The writer holds its lock (SQLite: the database's write lock) until it commits.
            seen = await asyncio.wait_for(users.get(7), timeout=2)
        assert seen is not None and seen.region is None  # the last committed state
        after = await users.get(7)
        assert after is not None and after.region == "sofia-city"
    finally:
        await engine.dispose()


async def test_a_claim_takes_at_most_its_limit(database_url: str) -> None:
    """Found with two bot processes: one claim took a whole broadcast on PostgreSQL."""
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        users = SqlUsers(sessions)
        outbox = SqlOutbox(sessions)
        for user in range(1, 151):
            await users.touch(user, "en", T0)
        await outbox.enqueue(
            [
                new_row(f"t:{u}", u, "announcement", {"text": "x", "buttons": []}, T0)
                for u in range(1, 151)
            ]
        )
        lease = dt.timedelta(minutes=1)
        sizes = [len(await outbox.claim(T0, 60, lease)) for _ in range(4)]
        assert sizes == [60, 60, 30, 0]
    finally:
        await engine.dispose()
