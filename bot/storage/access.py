"""The one way the repositories reach the database, chosen in bot/bootstrap.py by
`database_for` (or by a repository given a bare session maker, in tests):

- `writing()` / `reading()`: a session in a transaction of its own (see bot.storage.db);
- `read_row()` / `write_returning()`: one statement, as cheaply as the database allows (the
  per-message path: store the webhook update, read the user and the pending question, count
  the message for flood control);
- `transaction()`: a view of the database inside one open transaction, for the unit of work
  (bot/storage/unit_of_work.py): every repository built on it works in that transaction.

Statements on the per-message path are built once, their values given as parameters: building
and keying a statement costs more than running it.

**SQLite** (`SqliteDatabase`): one statement runs on the event loop's own thread, on a plain
sqlite3 connection. Through SQLAlchemy's asyncio layer and the driver's thread, reading a user by
its key costs about 0.5 ms of CPU, and well over a millisecond of waiting once the loop is busy;
on a plain connection it takes tens of microseconds. Running it right here is safe because in
WAL mode:
- a read never waits: it sees the last committed state, whatever writers are doing;
- a write here never waits either: busy_timeout is 0, so a database locked by another writer
  (this process's thread, or another process) fails at once, and the statement goes the usual
  way instead (`writing()`: this process's queue of writers, then the driver's thread), where
  waiting for the lock costs the loop nothing.
Each statement is a transaction by itself, committed when it ends. These connections never
checkpoint the WAL (a checkpoint syncs the disk, which must not happen on the loop): the
connections of `writing()`, which every message also reaches (handled updates are deleted
there, in batches), do it as they commit.

**PostgreSQL** (`PostgresDatabase`): one statement runs on a connection of its own in
autocommit, without an ORM session and without SQLAlchemy's asyncio layer: still built and
compiled by SQLAlchemy, run by psycopg directly (bot/storage/pg_direct.py), one round trip, no
BEGIN and COMMIT around it. A statement that path cannot run as SQLAlchemy would goes through a
pooled SQLAlchemy connection in autocommit instead. The webhook's store of a free-text update
(`read_row_before_commit`) runs in a transaction of its own instead, so that its rows come back
before the commit's flush to disk, which then overlaps the update's handling
(bot/storage/receipt.py).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import SingletonThreadPool
from sqlalchemy.sql import Executable

from bot.storage import receipt
from bot.storage.db import (
    Store,
    make_sessions,
    open_reading,
    open_writing,
    run_pragmas,
    upsert_insert,
)

if TYPE_CHECKING:
    from bot.storage.pg_direct import DirectStatements


class ResultRow(Protocol):
    """One row of a read, its columns by name and by position: SQLAlchemy's `Row`, or on
    PostgreSQL's direct path a named tuple (bot/storage/pg_direct.py)."""

    def __getattr__(self, name: str) -> Any: ...

    def __getitem__(self, index: int) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Database:
    """Transactions of their own for each call; one statement through an ORM session."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @property
    def engine(self) -> AsyncEngine:
        engine: AsyncEngine = self.sessions.kw["bind"]
        return engine

    def writing(
        self, one_statement: bool = False
    ) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return open_writing(self.sessions, one_statement)

    def reading(
        self, one_statement: bool = False
    ) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return open_reading(self.sessions, one_statement)

    def savepoint(self, session: AsyncSession) -> contextlib.AbstractAsyncContextManager[Any]:
        """Where a statement may fail and be tried again (a unique key another process took
        first): nothing here, where each call is its own transaction."""
        return contextlib.nullcontext()

    def insert(self, model: Any) -> Any:
        """INSERT in this database's dialect (for ON CONFLICT)."""
        return upsert_insert(self.sessions, model)

    async def read_row(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> ResultRow | None:
        """The first row of a read."""
        async with self.reading(one_statement=True) as session:
            return (await session.execute(statement, parameters)).first()

    async def write_returning(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Any:
        """Run one writing statement with a RETURNING clause; the first column of its first
        row."""
        async with self.writing(one_statement=True) as session:
            return (await session.execute(statement, parameters)).scalar()

    async def read_row_before_commit(
        self, statement: Executable, parameters: dict[str, Any]
    ) -> tuple[ResultRow | None, Awaitable[None]]:
        """The first row of a writing statement run in a transaction of its own, and what
        completes once that transaction is committed: on PostgreSQL's direct path the row
        comes back before the commit is flushed to disk, and the commit goes on meanwhile
        (await it before anyone relies on what was written: bot/storage/receipt.py); here,
        committed already."""
        row = await self.read_row(statement, parameters)
        return row, receipt.done()

    async def reserve_ids(self, column: Any, count: int) -> list[int]:
        """`count` values of `column`'s sequence that no row will get from it: ids for rows
        written later. None here (SQLite has no sequence; a row is written at once)."""
        return []

    async def close(self) -> None:
        """Close what this object holds beside the engine (before the engine's `dispose()`)."""

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[InTransaction]:
        """One transaction for a unit of work: committed only by `InTransaction.commit()`."""
        async with self.writing() as session:
            inside = InTransaction(self.sessions, session)
            try:
                yield inside
            finally:
                if not inside.committed:
                    # Leaving writing() normally commits: what was not committed is undone.
                    await session.rollback()


class InTransaction(Database):
    """The database inside one open transaction: every call runs in it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], session: AsyncSession) -> None:
        super().__init__(sessions)
        self.session = session
        self.committed = False

    @contextlib.asynccontextmanager
    async def _this(self, _one_statement: bool = False) -> AsyncIterator[AsyncSession]:
        yield self.session

    def writing(
        self, one_statement: bool = False
    ) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return self._this(one_statement)

    def reading(
        self, one_statement: bool = False
    ) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return self._this(one_statement)

    def savepoint(self, session: AsyncSession) -> contextlib.AbstractAsyncContextManager[Any]:
        # A failed statement must not end the whole unit of work's transaction.
        return session.begin_nested()

    def insert(self, model: Any) -> Any:
        return upsert_insert(self.session, model)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[InTransaction]:
        yield self

    async def commit(self) -> None:
        await self.session.commit()
        self.committed = True


class PostgresDatabase(Database):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions)
        # Imported here: psycopg itself is loaded only by a process that uses PostgreSQL.
        from bot.storage.pg_direct import direct_for

        # The engine's, shared by every access object on it; nothing connects yet.
        self._direct: DirectStatements = direct_for(self.engine)

    async def read_row(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> ResultRow | None:
        await receipt.until_stored()  # the direct path opens no session (bot.storage.receipt)
        parameters = parameters or {}
        entry = await self._direct.compiled(statement, parameters)
        if entry is None:
            return await self._sqlalchemy_first(statement, parameters)
        row: ResultRow | None = await self._direct.first_row(entry, parameters)
        return row

    async def write_returning(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Any:
        row = await self.read_row(statement, parameters)
        return row[0] if row is not None else None

    async def read_row_before_commit(
        self, statement: Executable, parameters: dict[str, Any]
    ) -> tuple[ResultRow | None, Awaitable[None]]:
        entry = await self._direct.compiled(statement, parameters)
        if entry is None:
            return await super().read_row_before_commit(statement, parameters)
        row: ResultRow | None
        row, committed = await self._direct.first_row_before_commit(entry, parameters)
        return row, committed

    async def reserve_ids(self, column: Any, count: int) -> list[int]:
        await receipt.until_stored()
        # Taken from the column's own sequence, as an INSERT without an id takes its value:
        # unique across processes, and never handed to another row.
        sequence = func.pg_get_serial_sequence(column.table.name, column.name)
        statement = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            values: list[Any] = list((await autocommit.execute(statement)).scalars())
        return [int(value) for value in values]

    async def _sqlalchemy_first(
        self, statement: Executable, parameters: dict[str, Any]
    ) -> Row[Any] | None:
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return (await autocommit.execute(statement, parameters)).first()

    async def close(self) -> None:
        await self._direct.close()


# The loop-thread engine of each SQLite database (async engine), made on first use and
# disposed with it.
_loop_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _loop_pragmas(dbapi_connection: Any, _record: Any) -> None:
    run_pragmas(
        dbapi_connection,
        "busy_timeout=0",
        "wal_autocheckpoint=0",
        "synchronous=NORMAL",
        "foreign_keys=ON",
    )
    # Every statement commits as it ends: no BEGIN, nothing to leave open.
    dbapi_connection.isolation_level = None


def _loop_engine(owner: Engine) -> Engine:
    engine = _loop_engines.get(owner)
    if engine is None:
        # SingletonThreadPool: one connection per thread, and only the loop's thread uses it.
        engine = create_engine(
            owner.url.set(drivername="sqlite"),
            poolclass=SingletonThreadPool,
            pool_reset_on_return=None,
        )
        event.listen(engine, "connect", _loop_pragmas)
        event.listen(owner, "engine_disposed", lambda _conn: engine.dispose())
        _loop_engines[owner] = engine
    return engine


def _locked(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return "locked" in message or "busy" in message


class SqliteDatabase(Database):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions)
        self._loop = _loop_engine(self.engine.sync_engine)

    async def read_row(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> ResultRow | None:
        try:
            with self._loop.connect() as connection:
                return connection.execute(statement, parameters).first()
        except OperationalError as error:
            if not _locked(error):
                raise
        return await super().read_row(statement, parameters)

    async def write_returning(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Any:
        try:
            with self._loop.connect() as connection:
                value = connection.execute(statement, parameters).scalar()
                connection.commit()
                return value
        except OperationalError as error:
            if not _locked(error):
                raise
        return await super().write_returning(statement, parameters)


class ReservedIds:
    """Ids of one column taken from the database in blocks (`Database.reserve_ids`), handed
    out one at a time: one round trip per `block` rows written later instead of each row's
    INSERT on the path that needs its id. A process that stops leaves the rest of its block
    unused (a gap in the ids, nothing else)."""

    def __init__(self, database: Database, column: Any, block: int = 100) -> None:
        self._database = database
        self._column = column
        self._block = block
        self._ids: collections.deque[int] = collections.deque()
        self._none = False  # the database reserves none: the rows are written at once
        self._refill: asyncio.Future[None] | None = None

    async def take(self) -> int | None:
        """A reserved id, or None where the database reserves none."""
        while not self._ids:
            if self._none:
                return None
            if self._refill is None:
                self._refill = asyncio.ensure_future(self._take_block())
                # Its error is every waiter's; retrieved here too in case all were cancelled.
                self._refill.add_done_callback(lambda done: done.cancelled() or done.exception())
            refill = self._refill
            try:
                # Shielded: one waiter cancelled does not cancel the others' refill.
                await asyncio.shield(refill)
            finally:
                if refill.done() and self._refill is refill:
                    self._refill = None
        return self._ids.popleft()

    async def _take_block(self) -> None:
        ids = await self._database.reserve_ids(self._column, self._block)
        if not ids:
            self._none = True
        self._ids.extend(ids)


def database_for(where: AsyncEngine | Store) -> Database:
    """The access object for an engine (bootstrap), a session maker (a test), or itself."""
    if isinstance(where, Database):
        return where
    sessions = make_sessions(where) if isinstance(where, AsyncEngine) else where
    match sessions.kw["bind"].dialect.name:
        case "sqlite":
            return SqliteDatabase(sessions)
        case "postgresql":
            return PostgresDatabase(sessions)
    return Database(sessions)


__all__ = ["Database", "InTransaction", "ReservedIds", "ResultRow", "Store", "database_for"]
