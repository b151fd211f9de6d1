"""Counting the calls handed to the SQLite connections' threads (the tests of
bot/storage/sqlite_driver.py and bot/storage/access.py, and bench/statements.py), through the
driver's own `watching_trips`."""

from __future__ import annotations

from bot.storage.sqlite_driver import watching_trips


class Trips:
    """While entered, `calls` gets the name of every call handed to a connection's thread."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._watching = watching_trips()

    def __enter__(self) -> Trips:
        self.calls = self._watching.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._watching.__exit__(None, None, None)
