"""Engines, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import functools
import re
import time
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from bot.storage import sqlite_driver
from bot.storage.receipt import until_stored

if TYPE_CHECKING:
    from bot.storage.access import Database

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x45435341  # "ECSA"


def engine_url(database_url: str, asynchronous: bool) -> URL:
    """The URL SQLAlchemy connects with: the async driver (aiosqlite, psycopg) or the sync one."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite" if asynchronous else "sqlite")
    return url.set(drivername="postgresql+psycopg")


def _prepare_sqlite_path(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def run_pragmas(dbapi_connection: Any, *pragmas: str) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the scheduler read while a handler writes; foreign keys make erasure cascade.
    run_pragmas(
        dbapi_connection,
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "synchronous=NORMAL",
    )


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # SQLAlchemy, not the driver, opens transactions (see _sqlite_begin): the driver's
    # connections are made in autocommit (bot/storage/sqlite_driver.py).
    _sqlite_pragmas(dbapi_connection, record)


# How a session's transaction begins on SQLite (an execution option of ours): "immediate"
# (the default) for writes, "deferred" for reads, "none" for one statement on its own.
BEGIN = "ecsm_begin"


def _sqlite_begin(connection: Any) -> None:
    match connection.get_execution_options().get(BEGIN, "immediate"):
        case "none":
            # One statement is atomic by itself: no BEGIN and COMMIT, each of which is a round
            # trip through the driver's thread, on the path of every message.
            return
        case "deferred":
            # Reads see a snapshot (WAL) and need no lock: they neither wait for writers nor
            # make them wait.
            connection.exec_driver_sql("BEGIN")
        case _:
            # A transaction that reads and then writes must take the write lock up front:
            # upgrading a read lock later fails at once with "database is locked" when another
            # writer got there first, which busy_timeout does not retry. IMMEDIATE waits.
            connection.exec_driver_sql("BEGIN IMMEDIATE")


async def _begin_as(session: AsyncSession, how: str) -> None:
    options: Any = {BEGIN: how}  # our own option, unknown to SQLAlchemy's typing
    if how == "none" and session.get_bind().dialect.name == "postgresql":
        # One statement is atomic by itself: without BEGIN and ROLLBACK or COMMIT around it,
        # it is one round trip to the server instead of three.
        options["isolation_level"] = "AUTOCOMMIT"
    await session.connection(execution_options=options)


def make_engine(database_url: str) -> AsyncEngine:
    url = engine_url(database_url, asynchronous=True)
    _prepare_sqlite_path(url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url,
            pool_reset_on_return=None,
            async_creator=functools.partial(sqlite_driver.connect, url.database or ":memory:"),
        )
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(url, pool_size=10, max_overflow=10)
    event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
    event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    return engine


# A pooled PostgreSQL connection idle for this long is pinged before use, so that one left over
# from before a restart is replaced instead of failing. SQLAlchemy's pool_pre_ping pings on
# every checkout: a round trip more for each statement of every message. A connection in use
# all along meets a restart with an error instead, which invalidates the whole pool at once;
# the request fails and is tried again (the webhook answers 503, handling is retried after
# its lease, the scheduler ticks again).
IDLE_BEFORE_PING = 5.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is None or time.monotonic() - checked_in < IDLE_BEFORE_PING:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("select 1")
        cursor.close()
        # The ping opened a transaction (psycopg begins one implicitly): left open, it would
        # make the switch to autocommit of a one-statement use fail ("can't change
        # 'autocommit' now: connection in transaction status INTRANS").
        dbapi_connection.rollback()
    except Exception as error:
        # The pool drops this connection and checks out another (or opens a new one).
        raise DisconnectionError from error


_CHECKED_IN = "ecsm_checked_in"


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# One lock per SQLite database (engine): see writing().
_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


# What a repository is built on: the storage access object chosen in bootstrap
# (bot/storage/access.py), or, in tests, a session maker (its access object is made for it).
Store: TypeAlias = "async_sessionmaker[AsyncSession] | Database"


def writing(
    sessions: Store, one_statement: bool = False
) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
    """A session in a transaction (see `open_writing`), or the open transaction of a unit of
    work when `sessions` is one's (bot.storage.access.InTransaction)."""
    if isinstance(sessions, async_sessionmaker):
        return open_writing(sessions, one_statement)
    return sessions.writing(one_statement)


def reading(
    sessions: Store, one_statement: bool = False
) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
    """A session that only reads (see `open_reading`), or the open transaction of a unit of
    work."""
    if isinstance(sessions, async_sessionmaker):
        return open_reading(sessions, one_statement)
    return sessions.reading(one_statement)


@contextlib.asynccontextmanager
async def open_writing(
    sessions: async_sessionmaker[AsyncSession], one_statement: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session in a transaction, committed on leaving (rolled back on an error); with
    `one_statement`, for a single statement, atomic by itself.

    SQLite has one writer at a time, and a second one waits in its busy handler, which sleeps
    1, 2, 5, 10... up to 100 ms between tries: under load every message would pay for those
    sleeps. So this process's writers queue here instead and take the lock in turn; the busy
    handler is left for other processes (the command line next to a running bot)."""
    await until_stored()  # an update being handled is committed first (bot.storage.receipt)
    bind = sessions.kw.get("bind")
    lock: contextlib.AbstractAsyncContextManager[Any] = contextlib.nullcontext()
    if bind is not None and bind.dialect.name == "sqlite":
        lock = _write_locks.setdefault(bind.sync_engine, asyncio.Lock())
    async with lock, sessions.begin() as session:
        if one_statement:
            await _begin_as(session, "none")
        yield session


@contextlib.asynccontextmanager
async def open_reading(
    sessions: async_sessionmaker[AsyncSession], one_statement: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session that only reads (anything it wrote would be rolled back anyway). Its
    statements see one snapshot, unless `one_statement` (a lookup that needs no other)."""
    await until_stored()
    async with sessions() as session:
        await _begin_as(session, "none" if one_statement else "deferred")
        yield session


def migrate(database_url: str, revision: str = "heads") -> None:
    """Bring the schema to `revision` (run at start-up, before any session is opened).

    "heads": features developed side by side each add a migration on the same parent, and the
    branches touch different tables, so every head is applied until a merge revision joins them."""
    url = engine_url(database_url, asynchronous=False)
    _prepare_sqlite_path(url)
    engine = create_engine(url)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if revision == "heads" and _at_heads(engine):
        # Every command and process start asks; alembic (a fifth of a command's start-up) is
        # imported only when there is something to do.
        engine.dispose()
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            if url.get_backend_name() == "postgresql":
                # Replicas starting together must not run the same migration twice.
                connection.execute(text("select pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


_ASSIGNED = re.compile(r"^(revision|down_revision)(?:\s*:[^=]+)?\s*=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def script_heads() -> frozenset[str] | None:
    """The heads of the migration scripts, read from their `revision` and `down_revision` lines
    (literals, as alembic's template writes them) without importing alembic; None when a
    script is not of that shape, and alembic has to be asked."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("[!_]*.py"):
        found = dict(_ASSIGNED.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(parent) for parent in down)
        elif down is not None:
            return None
    return frozenset(revisions - parents) or None


def _at_heads(engine: Any) -> bool:
    """Whether the database stands at every head already (alembic's own record of it)."""
    heads = script_heads()
    if heads is None:
        return False
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("select version_num from alembic_version")).scalars()
            return frozenset(stored) == heads
    except DBAPIError:
        return False  # a new database: no alembic_version yet


TICK_LOCK = 0x45435342  # "ECSB": one scheduler tick at a time across all processes


@contextlib.asynccontextmanager
async def tick_leadership(engine: AsyncEngine) -> AsyncIterator[bool]:
    """True when this process may run the scheduler tick now. On PostgreSQL a session-level
    advisory lock makes exactly one process the leader for the tick; SQLite serves one process."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as conn:
        got = bool(
            (await conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": TICK_LOCK})).scalar()
        )
        try:
            yield got
        finally:
            if got:
                await conn.execute(text("select pg_advisory_unlock(:k)"), {"k": TICK_LOCK})
                await conn.commit()


def upsert_insert(where: AsyncSession | Store, model: Any) -> Any:
    """INSERT for `model` in the dialect of a session (or of a session maker's engine, or of
    an access object's), so that ON CONFLICT clauses can follow (SQLite and PostgreSQL both
    have them, each in its own SQLAlchemy dialect module)."""
    bind: Any
    if isinstance(where, AsyncSession):
        bind = where.get_bind()
    elif isinstance(where, async_sessionmaker):
        bind = where.kw["bind"]
    else:
        bind = where.engine
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    return module.insert(model)
