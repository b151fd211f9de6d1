"""SQLite through aiosqlite, in one trip to its thread per statement.

aiosqlite runs every call on the connection's own thread. Through SQLAlchemy one statement is
five such trips: make a cursor, execute, fetch, close the cursor, and commit or roll back, even
when no transaction is open. Each trip is a hand-over to that thread and back through the event
loop, a few hundred microseconds when the loop is busy: on the path of every message (store the
update, read the user and the pending question) they were most of the bot's own time.

Here the cursor is made, the statement run and its rows read in one trip; closing a cursor whose
rows are all read has nothing left to do; and commit or rollback go to the thread only when a
transaction is open (`BEGIN` is ours: see `bot.storage.db`). Every row is read at once, which is
what SQLAlchemy does anyway for all but server-side cursors, which this project does not use.
"""

from __future__ import annotations

import functools
import sqlite3
from collections import deque
from collections.abc import Generator, Iterable
from typing import Any

import aiosqlite

ITER_CHUNK_SIZE = 64  # aiosqlite's default


class Cursor(aiosqlite.Cursor):
    def __init__(self, connection: Connection) -> None:
        # The sqlite3 cursor is made on the connection's thread, with the first statement.
        super().__init__(connection, None)  # type: ignore[arg-type]
        self._rows: deque[Any] = deque()

    def _sqlite(self) -> sqlite3.Cursor:
        if self._cursor is None:
            self._cursor = self._conn._conn.cursor()
        return self._cursor

    async def _in_thread(self, *call: Any) -> list[Any]:
        rows: list[Any] = await self._execute(*call)  # type: ignore[no-untyped-call]
        return rows

    def _run(self, method: str, sql: str, parameters: Any) -> list[Any]:
        cursor = self._sqlite()
        getattr(cursor, method)(sql, parameters)
        return cursor.fetchall() if cursor.description else []

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        rows = await self._in_thread(
            self._run, "execute", sql, () if parameters is None else parameters
        )
        self._rows = deque(rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        rows = await self._in_thread(self._run, "executemany", sql, parameters)
        self._rows = deque(rows)
        return self

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

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return 1 if self._cursor is None else self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._sqlite().arraysize = value

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description


class _Made:
    """What `cursor()` returns: awaitable and an async context manager, like aiosqlite's, but
    with no trip to the thread."""

    def __init__(self, cursor: Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._get().__await__()

    async def _get(self) -> Cursor:
        return self._cursor

    async def __aenter__(self) -> Cursor:
        return self._cursor

    async def __aexit__(self, *_exc: object) -> None:
        await self._cursor.close()


class Connection(aiosqlite.Connection):
    def cursor(self) -> _Made:  # type: ignore[override]
        return _Made(Cursor(self))

    def _in_transaction(self) -> bool:
        return self._connection is not None and self._connection.in_transaction

    async def commit(self) -> None:
        if self._in_transaction():
            await super().commit()

    async def rollback(self) -> None:
        if self._in_transaction():
            await super().rollback()


async def connect(database: str) -> Connection:
    """For `create_async_engine(async_creator=...)`."""
    connector = functools.partial(sqlite3.connect, database, check_same_thread=False)
    connection = Connection(connector, ITER_CHUNK_SIZE)
    # As SQLAlchemy does for aiosqlite: a forgotten connection must not keep the process alive.
    connection._thread.daemon = True
    await connection
    return connection
