"""SQLite under SQLAlchemy's asyncio layer, in one trip to the connection's thread per statement.

sqlite3 blocks, so every call runs on a thread of the connection's own, and the event loop
awaits it. Each call is a hand-over to that thread and back through the loop, a few hundred
microseconds when the loop is busy. aiosqlite, which SQLAlchemy's `sqlite+aiosqlite` dialect
expects, makes five for one statement (make a cursor, execute, fetch, close the cursor, and
commit or roll back even when no transaction is open): on the path of every message they were
most of the bot's own time.

Here the cursor is made, the statement run and its rows read in one trip; closing a cursor
whose rows are all read has nothing left to do; and commit or rollback go to the thread only
when a transaction is open (`BEGIN` is ours: see `bot.storage.db`). Every row is read at once,
which is what SQLAlchemy does anyway for all but server-side cursors, which this project does
not use.

This is a connection class of our own (nothing of aiosqlite's is subclassed or reached into),
given to the dialect through `create_async_engine(async_creator=connect)`. The dialect's adapter
(`AsyncAdapt_aiosqlite_connection`) calls `cursor()`, the cursor's `execute`, `executemany`,
`fetchall`, `close`, `description`, `rowcount` and `lastrowid`, and the connection's `commit`,
`rollback`, `close`, `create_function` and `stop`, and reads `_connection` (aiosqlite's name
for the sqlite3 connection, None once closed) before committing or rolling back. That is
SQLAlchemy's behaviour, so its version is pinned exactly in pyproject.toml, and
tests/test_sqlite_paths.py runs every path through a real engine. The isolation level is set
here, when the connection is made (autocommit: SQLAlchemy sends our BEGIN), never through the
adapter, whose setter reaches into aiosqlite's queue.

`watching_trips()` lists the calls handed to the threads (the tests and bench/statements.py
count them).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_observers: list[Callable[[str], None]] = []


@contextlib.contextmanager
def watching_trips() -> Iterator[list[str]]:
    """While inside, the name of every call handed to a connection's thread is appended to
    the list given."""
    calls: list[str] = []
    observer = calls.append
    _observers.append(observer)
    try:
        yield calls
    finally:
        _observers.remove(observer)


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class Connection:
    def __init__(self) -> None:
        # (future, call) for the thread; None stops it.
        self._requests: queue.SimpleQueue[tuple[asyncio.Future[Any], Callable[[], Any]] | None]
        self._requests = queue.SimpleQueue()
        # Daemon, as SQLAlchemy makes aiosqlite's: a forgotten connection must not keep the
        # process alive.
        self._thread = threading.Thread(target=self._serve, name="sqlite", daemon=True)
        # The sqlite3 connection; the name is the one SQLAlchemy's adapter reads (see above).
        self._connection: sqlite3.Connection | None = None

    def _serve(self) -> None:
        while (request := self._requests.get()) is not None:
            future, call = request
            value, error = None, None
            try:
                value = call()
            except BaseException as raised:  # handed to the awaiting task
                error = raised
            future.get_loop().call_soon_threadsafe(_settle, future, value, error)

    async def run(self, call: Callable[[], T], name: str) -> T:
        """`call` on the connection's thread: one trip."""
        for observer in _observers:
            observer(name)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._requests.put((future, call))
        return await future

    async def open(self, database: str) -> None:
        self._thread.start()
        # isolation_level=None: sqlite3 begins nothing by itself; SQLAlchemy sends our BEGIN.
        connect = functools.partial(
            sqlite3.connect, database, check_same_thread=False, isolation_level=None
        )
        self._connection = await self.run(connect, "connect")

    def _sqlite(self) -> sqlite3.Connection:
        if self._connection is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._sqlite().isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._connection is not None and self._connection.in_transaction

    def cursor(self) -> Cursor:
        # The sqlite3 cursor is made on the thread, with the first statement.
        return Cursor(self)

    async def commit(self) -> None:
        if self.in_transaction:
            await self.run(self._sqlite().commit, "commit")

    async def rollback(self) -> None:
        if self.in_transaction:
            await self.run(self._sqlite().rollback, "rollback")

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        sqlite = self._sqlite()
        await self.run(functools.partial(sqlite.create_function, *args, **kwargs), "function")

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await self.run(connection.close, "close")
            finally:
                self.stop()

    def stop(self) -> None:
        """End the thread (after what was handed to it); for SQLAlchemy's terminate."""
        self._requests.put(None)


class Cursor:
    def __init__(self, connection: Connection) -> None:
        self._owner = connection
        self._cursor: sqlite3.Cursor | None = None
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _run(self, method: str, sql: str, parameters: Any) -> tuple[list[Any], Any, int, Any]:
        """On the connection's thread: the statement and all its rows."""
        if self._cursor is None:
            self._cursor = self._owner._sqlite().cursor()
        cursor = self._cursor
        getattr(cursor, method)(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid

    async def _trip(self, method: str, sql: str, parameters: Any) -> Cursor:
        rows, self.description, self.rowcount, self.lastrowid = await self._owner.run(
            functools.partial(self._run, method, sql, parameters), method
        )
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        return await self._trip("execute", sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        return await self._trip("executemany", sql, parameters)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        # Its statement has run to the end and been reset: nothing holds a lock or a resource
        # that would need the connection's thread.
        self._rows.clear()


async def connect(database: str) -> Connection:
    """For `create_async_engine(async_creator=...)`."""
    connection = Connection()
    await connection.open(database)
    return connection
