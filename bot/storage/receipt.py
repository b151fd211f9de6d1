"""Until a received update is stored for good: what its handling waits for before it reaches
the database or Telegram.

On PostgreSQL a free-text webhook update is stored together with its first reads in one
statement (bot/storage/first_reads.py), whose rows come back before its commit is flushed to
disk: the commit (the WAL's flush, 0.1 to several milliseconds on a busy disk) then runs while
the update is already being handled, instead of before it (docs/benchmarks.md, "PostgreSQL
per-message path, second round (perf14e)"). So that this changes nothing a user or another
process can see, the handling waits here, in the handling's own context, for the commit:

- before any statement of its own (bot/storage/db.py, bot/storage/access.py): what it reads
  was committed, and it never writes beside an update that might not be stored;
- before anything is sent to Telegram (bot/channels/telegram.py): a reply never leaves for an
  update that is not stored, and Telegram gets the webhook's 200 only once it is.

Up to that point the handling only computes (python-telegram-bot's dispatch, the screening, the
NLU's parse). If the commit fails, the wait raises NotStored: the handling stops with nothing
sent or written, and the webhook answers 503 (and logs it), so Telegram sends the update again.

Everywhere else (SQLite, polling, commands, buttons, a swept update) nothing is set and the
wait costs a context variable's lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Iterator

_STORED: contextvars.ContextVar[Awaitable[None] | None] = contextvars.ContextVar(
    "update_stored", default=None
)


def done() -> asyncio.Future[None]:
    """What an update stored and committed at once gives to wait for: nothing."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


class NotStored(Exception):
    """The update being handled was not stored: its commit failed. The webhook has answered
    503 and logged the failure once; Telegram sends the update again, so there is nothing to
    log or retry here."""


async def until_stored() -> None:
    """Wait until the update being handled is committed (at once when nothing is pending);
    raises NotStored, from what its commit raised, when it failed."""
    stored = _STORED.get()
    if stored is not None:
        try:
            await stored
        except Exception as error:
            raise NotStored from error


@contextlib.contextmanager
def pending(stored: Awaitable[None] | None) -> Iterator[None]:
    """`stored` (a task or future, awaited by every waiter) is what the code run inside waits
    for in `until_stored`."""
    if stored is None:
        yield
        return
    token = _STORED.set(stored)
    try:
        yield
    finally:
        _STORED.reset(token)
