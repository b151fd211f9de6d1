"""One-statement reads and writes on the path of every message (store the webhook update, read
the user and the pending question, count the message for flood control), as cheaply as each
database allows. Statements are built once, their values given as parameters: building and
keying a statement costs more than running it.

On SQLite they run on the event loop's own thread. Through SQLAlchemy's asyncio layer and
aiosqlite's thread, reading a user by its key costs about 0.5 ms of CPU, and well over a
millisecond of waiting once the loop is busy; the same statement on a plain sqlite3 connection
takes tens of microseconds. Running it right here is safe because in WAL mode:
- a read never waits: it sees the last committed state, whatever writers are doing;
- a write here never waits either: busy_timeout is 0, so a database locked by another writer
  (this process's thread, or another process) fails at once, and the statement goes the usual
  way instead (`writing()`: this process's queue of writers, then aiosqlite's thread), where
  waiting for the lock costs the loop nothing.
Each statement is a transaction by itself, committed when it ends. These connections never
checkpoint the WAL (a checkpoint syncs the disk, which must not happen on the loop): the
connections of `writing()`, which every message also reaches (handled updates are deleted
there, in batches), do it as they commit.

On PostgreSQL they run on a pooled connection in autocommit, without an ORM session: one round
trip, no BEGIN and COMMIT around it.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Row
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import SingletonThreadPool
from sqlalchemy.sql import Executable

from bot.storage.db import reading, run_pragmas, writing

# One per SQLite database (async engine), made on first use and disposed with it.
_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    run_pragmas(
        dbapi_connection,
        "busy_timeout=0",
        "wal_autocheckpoint=0",
        "synchronous=NORMAL",
        "foreign_keys=ON",
    )
    # Every statement commits as it ends: no BEGIN, nothing to leave open.
    dbapi_connection.isolation_level = None


def _engine(sessions: async_sessionmaker[AsyncSession]) -> Engine | None:
    bind = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return None
    owner: Engine = bind.sync_engine
    engine = _engines.get(owner)
    if engine is None:
        # SingletonThreadPool: one connection per thread, and only the loop's thread uses it.
        engine = create_engine(
            owner.url.set(drivername="sqlite"),
            poolclass=SingletonThreadPool,
            pool_reset_on_return=None,
        )
        event.listen(engine, "connect", _pragmas)
        event.listen(owner, "engine_disposed", lambda _conn: engine.dispose())
        _engines[owner] = engine
    return engine


def _locked(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return "locked" in message or "busy" in message


async def read_row(
    sessions: async_sessionmaker[AsyncSession],
    statement: Executable,
    parameters: dict[str, Any] | None = None,
) -> Row[Any] | None:
    """The first row of a read."""
    engine = _engine(sessions)
    if engine is not None:
        try:
            with engine.connect() as connection:
                return connection.execute(statement, parameters).first()
        except OperationalError as error:
            if not _locked(error):
                raise
        async with reading(sessions, one_statement=True) as session:
            return (await session.execute(statement, parameters)).first()
    async with _autocommit(sessions) as connection:
        return (await connection.execute(statement, parameters)).first()


async def write_returning(
    sessions: async_sessionmaker[AsyncSession],
    statement: Executable,
    parameters: dict[str, Any] | None = None,
) -> Any:
    """Run one writing statement with a RETURNING clause; the first column of its first row."""
    engine = _engine(sessions)
    if engine is not None:
        try:
            with engine.connect() as connection:
                value = connection.execute(statement, parameters).scalar()
                connection.commit()
                return value
        except OperationalError as error:
            if not _locked(error):
                raise
        async with writing(sessions, one_statement=True) as session:
            return (await session.execute(statement, parameters)).scalar()
    async with _autocommit(sessions) as connection:
        return (await connection.execute(statement, parameters)).scalar()


@contextlib.asynccontextmanager
async def _autocommit(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncConnection]:
    bind: AsyncEngine = sessions.kw["bind"]
    async with bind.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")
