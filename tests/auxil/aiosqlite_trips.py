"""Counting the calls handed to aiosqlite's thread (the tests of bot/storage/sqlite_driver.py and
one_statement.py, and bench/statements.py)."""

from __future__ import annotations

from typing import Any

import aiosqlite


class Trips:
    """While entered, `calls` gets the name of every call handed to aiosqlite's thread."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._original = aiosqlite.Connection._execute

    def __enter__(self) -> Trips:
        calls, original = self.calls, self._original

        async def counted(connection: aiosqlite.Connection, fn: Any, *a: Any, **k: Any) -> Any:
            calls.append(getattr(fn, "__name__", repr(fn)))
            return await original(connection, fn, *a, **k)  # type: ignore[no-untyped-call]

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        aiosqlite.Connection._execute = self._original  # type: ignore[method-assign]
