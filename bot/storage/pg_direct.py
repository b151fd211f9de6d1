"""One statement on PostgreSQL straight through psycopg: the per-message path (issue 14).

Through SQLAlchemy's asyncio layer one statement costs about 0.5 ms of CPU more than the same
statement on a bare psycopg `AsyncConnection` (docs/benchmarks.md, "Issue 14: the per-message
path, profiled"): the greenlet bridge, the pool's checkout and reset, the execution context and
the result object, for every statement of every message. Here the statement is still built with
SQLAlchemy Core, and compiled by SQLAlchemy's own psycopg dialect, once; only running it skips
the layer:

- the SQL and the bind parameters are those SQLAlchemy would send: the statement is compiled
  with the engine's dialect and the parameters' keys, as SQLAlchemy does at execution; each value
  goes through its type's bind processor (UTC datetimes, JSON wrapped for psycopg), each result
  column through its result processor for the column's type code, as SQLAlchemy's result does;
- the connections are psycopg's own, opened with the engine's connect arguments (the dialect's
  adapters, so JSON and the rest load as they do under SQLAlchemy), in autocommit, with each
  statement prepared on the server at its first use on a connection;
- errors are raised as SQLAlchemy raises them (`DBAPIError.instance`: an `OperationalError` for
  a cut connection, an `IntegrityError` for a unique key...), so callers catch the same classes.

A statement this module does not handle the way SQLAlchemy would (Python-side defaults, IN lists
expanded at execution, callables as values, no RETURNING) is refused at compile time
(`compiled()` is None), and the caller runs it through SQLAlchemy instead.

The pool is SQLAlchemy's pool's behaviour in small: a connection idle for `db.IDLE_BEFORE_PING`
is pinged before use and replaced if the ping fails; a statement failing because its connection
was cut closes every idle connection too (the server has most likely dropped them all, as after
a restart), and the next statement opens a new one. Nothing connects before the first statement.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement, Executable

from bot.storage import db

# As many connections as SQLAlchemy's pool keeps at most (bot.storage.db.make_engine: 10 and 10
# more under load): statements beyond that wait for one to come back instead of opening more.
# The webhook's store holds its connection through its commit (`first_row_before_commit`), two
# round trips and the flush: with 10, a loaded bench.stages run found the pool full for 687 of 1,798
# statements, with 20 for none (docs/benchmarks.md, "PostgreSQL per-message path, second round").
POOL_SIZE = 20
# Shown in pg_stat_activity, so that an operator (and a test) can tell these connections apart.
APPLICATION_NAME = "ecsm-bot per-message"

_Process = Callable[[Any], Any] | None


class Compiled:
    """One statement compiled for one set of parameter keys: its SQL, how each bind value is
    made from the caller's parameters, and (after its first run) how each result column is
    converted."""

    __slots__ = ("constants", "from_call", "keys", "result", "row", "sql", "statement")

    def __init__(
        self,
        statement: Executable,
        sql: str,
        constants: dict[str, Any],
        from_call: tuple[tuple[str, str, _Process], ...],
        keys: tuple[str, ...],
    ) -> None:
        # Held so that the statement's id, the cache's key, is not reused while cached.
        self.statement = statement
        self.sql = sql
        self.constants = constants
        self.from_call = from_call
        self.keys = keys
        self.result: tuple[_Process, ...] | None = None
        self.row: Callable[..., Any] | None = None

    def values(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        values = self.constants.copy()
        for name, key, process in self.from_call:
            value = parameters[key]
            values[name] = value if process is None else process(value)
        return values


def compile_statement(
    statement: Executable, parameters: Mapping[str, Any], dialect: Any
) -> Compiled | None:
    """`statement` compiled as SQLAlchemy compiles it to run with `parameters`, or None when
    running it here would not do what SQLAlchemy does."""
    keys = tuple(parameters)
    columns = getattr(statement, "exported_columns", None)
    names = tuple(columns.keys()) if columns is not None else ()
    if (
        not names
        or len(set(names)) != len(names)
        or any(not name.isidentifier() or name.startswith("_") for name in names)
    ):
        return None  # nothing returned, or no row of named columns to build
    if not isinstance(statement, ClauseElement):
        return None
    compiled: Any = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.escaped_bind_names
        or compiled.literal_execute_params
        or compiled.post_compile_params
    ):
        return None
    constants: dict[str, Any] = {}
    from_call: list[tuple[str, str, _Process]] = []
    # As SQLAlchemy's SQLCompiler.construct_params: a value given by the caller under the
    # parameter's key (or its compiled name), else the value built into the statement.
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.expanding or bind.callable is not None:
            return None
        if bind.key in parameters:
            from_call.append((name, bind.key, process))
        elif name in parameters:
            from_call.append((name, name, process))
        elif bind.required:
            return None  # SQLAlchemy's own error, from its own path
        else:
            constants[name] = bind.value if process is None else process(bind.value)
    entry = Compiled(statement, compiled.string, constants, tuple(from_call), names)
    # Callers read columns by name, as on SQLAlchemy's Row.
    make_type: Any = collections.namedtuple
    row_type: Any = make_type("Row", names)
    entry.row = row_type._make
    return entry


def _result_processors(
    statement: Executable, description: Any, dialect: Any
) -> tuple[_Process, ...]:
    columns: Any = getattr(statement, "exported_columns")  # noqa: B009 (checked at compile)
    if len(description) != len(columns):
        raise RuntimeError(f"{len(description)} columns returned, {len(columns)} expected")
    return tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, field.type_code)
        for column, field in zip(columns, description, strict=True)
    )


def _note_result(entry: Compiled, cursor: Any, dialect: Any) -> None:
    """How each result column of `entry` is converted, learnt from its first run."""
    if entry.result is None:
        entry.result = _result_processors(entry.statement, cursor.description, dialect)


def _row(entry: Compiled, raw: Any) -> Any:
    """A row psycopg returned, its columns converted as SQLAlchemy's result would."""
    if raw is None:
        return None
    assert entry.result is not None and entry.row is not None
    return entry.row(
        tuple(
            value if process is None else process(value)
            for value, process in zip(raw, entry.result, strict=True)
        )
    )


class _Pooled:
    __slots__ = ("connection", "cursor", "generation", "returned_at")

    def __init__(self, connection: psycopg.AsyncConnection[Any], generation: int) -> None:
        self.connection = connection
        self.cursor = connection.cursor()
        self.generation = generation
        self.returned_at = time.monotonic()

    @property
    def cut(self) -> bool:
        return bool(self.connection.closed or self.connection.broken)


class DirectStatements:
    """The statements of one engine run on psycopg connections of their own (one per engine,
    shared by every access object on it: `direct_for`)."""

    def __init__(self, engine: AsyncEngine, size: int = POOL_SIZE) -> None:
        # Weak: this object is kept by the engine (its dispose listener), not the other way.
        self._engine = weakref.ref(engine.sync_engine)
        self.dialect: Any = engine.dialect
        self._size = size
        self._slots: asyncio.Semaphore | None = None
        self._idle: list[_Pooled] = []
        # Raised when every connection of now should go (a cut one, a dispose): one in use at
        # that moment is closed when it comes back.
        self._generation = 0
        self._compiled: dict[tuple[int, tuple[str, ...]], Compiled | None] = {}

    async def compiled(
        self, statement: Executable, parameters: Mapping[str, Any]
    ) -> Compiled | None:
        key = (id(statement), tuple(parameters))
        try:
            return self._compiled[key]
        except KeyError:
            pass
        if self.dialect.server_version_info is None:
            # SQLAlchemy settles some of the dialect's choices on its first connection (the
            # server's version, string escaping, hstore): compile as it would.
            engine = self._engine()
            if engine is not None:
                async with AsyncEngine(engine).connect():
                    pass
        entry = compile_statement(statement, parameters, self.dialect)
        if entry is None:
            self._compiled[key] = None
            return None
        # Keyed by the statement's identity: the entry holds the statement, so that identity is
        # not reused while the entry lives.
        self._compiled[key] = entry
        return entry

    async def first_row(self, entry: Compiled, parameters: Mapping[str, Any]) -> Any:
        """The first row of `entry` run with `parameters` (its columns converted as
        SQLAlchemy's result would), or None."""
        values = entry.values(parameters)
        pooled = await self._acquire()
        healthy = False
        try:
            cursor = pooled.cursor
            await cursor.execute(entry.sql, values, prepare=True)
            raw = await cursor.fetchone()
            _note_result(entry, cursor, self.dialect)
            healthy = True
        except psycopg.Error as error:
            healthy = self._after_error(pooled)
            raise DBAPIError.instance(
                entry.sql, values, error, psycopg.Error, connection_invalidated=pooled.cut
            ) from error
        finally:
            # Not healthy also after a cancellation mid-statement: the connection's state is
            # not known, so it is closed rather than reused.
            await self._release(pooled, healthy)
        return _row(entry, raw)

    async def first_row_before_commit(
        self, entry: Compiled, parameters: Mapping[str, Any]
    ) -> tuple[Any, asyncio.Task[None]]:
        """As `first_row`, but the row comes back before the commit: `entry` runs in a
        transaction of its own (BEGIN and the statement in one round trip, a pipeline), and
        its COMMIT, the WAL's flush, goes on in the task returned, which raises what the
        commit raised. The caller must not let anyone rely on what the statement wrote until
        that task is done (bot/storage/receipt.py); its connection is held until then."""
        values = entry.values(parameters)
        pooled = await self._acquire()
        try:
            cursor = pooled.cursor
            async with pooled.connection.pipeline():
                await cursor.execute("BEGIN")
                await cursor.execute(entry.sql, values, prepare=True)
            raw = await cursor.fetchone()
            _note_result(entry, cursor, self.dialect)
        except psycopg.Error as error:
            if not pooled.cut:
                # The failed statement left its transaction open (aborted): ended here.
                with contextlib.suppress(psycopg.Error):
                    await pooled.connection.execute("ROLLBACK")
            healthy = self._after_error(pooled)
            await self._release(pooled, healthy)
            raise DBAPIError.instance(
                entry.sql, values, error, psycopg.Error, connection_invalidated=pooled.cut
            ) from error
        except BaseException:
            await self._release(pooled, False)
            raise
        return _row(entry, raw), asyncio.create_task(self._commit(pooled))

    async def _commit(self, pooled: _Pooled) -> None:
        healthy = False
        try:
            await pooled.cursor.execute("COMMIT")
            healthy = True
        except psycopg.Error as error:
            healthy = self._after_error(pooled)
            raise DBAPIError.instance(
                "COMMIT", None, error, psycopg.Error, connection_invalidated=pooled.cut
            ) from error
        finally:
            await self._release(pooled, healthy)

    def _after_error(self, pooled: _Pooled) -> bool:
        """Whether the connection of a statement that failed can be used again (it is idle,
        no transaction left open); a cut one drops every idle connection too."""
        if pooled.cut:
            self._drop_all()
            return False
        return pooled.connection.info.transaction_status == TransactionStatus.IDLE

    async def _open(self) -> _Pooled:
        args, kwargs = self.dialect.create_connect_args(self._url())
        kwargs.setdefault("application_name", APPLICATION_NAME)
        try:
            connection = await psycopg.AsyncConnection.connect(*args, **kwargs, autocommit=True)
        except psycopg.Error as error:
            raise DBAPIError.instance(
                None, None, error, psycopg.Error, connection_invalidated=True
            ) from error
        return _Pooled(connection, self._generation)

    def _url(self) -> Any:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine is gone")
        return engine.url

    async def _acquire(self) -> _Pooled:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        await self._slots.acquire()
        try:
            while self._idle:
                pooled = self._idle.pop()
                if pooled.generation != self._generation:
                    await pooled.connection.close()
                    continue
                if time.monotonic() - pooled.returned_at >= db.IDLE_BEFORE_PING:
                    try:
                        await pooled.cursor.execute("select 1")
                    except psycopg.Error:
                        # Left over from before a restart or a cut: another one, or a new one.
                        await pooled.connection.close()
                        continue
                return pooled
            return await self._open()
        except BaseException:
            self._slots.release()
            raise

    async def _release(self, pooled: _Pooled, healthy: bool) -> None:
        assert self._slots is not None
        try:
            if healthy and pooled.generation == self._generation:
                pooled.returned_at = time.monotonic()
                self._idle.append(pooled)
            else:
                await pooled.connection.close()
        finally:
            self._slots.release()

    def _drop_all(self) -> None:
        self._generation += 1
        idle, self._idle = self._idle, []
        for pooled in idle:
            # Closing a psycopg connection does no I/O (libpq's PQfinish): done right here,
            # also from the engine's dispose, which cannot await.
            pooled.connection.pgconn.finish()

    async def close(self) -> None:
        """Close every connection (one in use now when it comes back); a later statement opens
        a new one, as SQLAlchemy's engine does after `dispose()`."""
        self._generation += 1
        idle, self._idle = self._idle, []
        for pooled in idle:
            await pooled.connection.close()


_directs: weakref.WeakKeyDictionary[Engine, DirectStatements] = weakref.WeakKeyDictionary()


def direct_for(engine: AsyncEngine) -> DirectStatements:
    """The engine's direct statements, made on first use and closed with the engine's
    `dispose()` (as bootstrap, the command line and the tests end)."""
    owner = engine.sync_engine
    direct = _directs.get(owner)
    if direct is None:
        direct = _directs[owner] = DirectStatements(engine)
        event.listen(owner, "engine_disposed", lambda _engine: direct._drop_all())
    return direct
