"""Running a coroutine from a synchronous test.

`asyncio.run` ends by clearing the main thread's event loop (`set_event_loop(None)`), and the
async tests after it share one session loop that they look up that way: one `asyncio.run` in a
synchronous test made every later async test fail with "There is no current event loop". This
runs the coroutine on a loop of its own and leaves the thread's loop as it was."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
