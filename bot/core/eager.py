"""Awaiting a few coroutines at once, without a trip through the event loop for those that
finish without waiting.

`asyncio.gather` makes a task of every coroutine: each starts only when the loop next gets to
it, and the caller wakes once more when they are done, three turns of the loop for two reads.
On a busy loop every turn is a wait behind the other chats' work. Here each coroutine is run at
once, up to the first thing it waits for (in the caller's turn, in a copy of the caller's
context, as a task would be); one that finishes there costs no turn at all (SQLite's reads on
the loop's thread), and only one that really waits (PostgreSQL's round trips, which then
overlap as with `asyncio.gather`) continues as a task. This is what Python 3.12's eager tasks
do; the bot runs on 3.11.
"""

from __future__ import annotations

import asyncio
import contextvars
import types
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar, overload

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


@types.coroutine
def _resume(coroutine: Coroutine[Any, Any, Any], waiting_on: Any) -> Generator[Any, Any, Any]:
    """Go on with a coroutine that was started outside a task and is waiting on `waiting_on`:
    the task that runs this hands the loop what the coroutine yields and the coroutine what
    the loop sends back (or throws in: a cancellation)."""
    while True:
        try:
            sent = yield waiting_on
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as error:  # passed on to the coroutine as it came
            try:
                waiting_on = coroutine.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                waiting_on = coroutine.send(sent)
            except StopIteration as stop:
                return stop.value


def _start(coroutine: Coroutine[Any, Any, Any]) -> tuple[str, Any]:
    """("value", result) or ("error", exception) when the coroutine finished at once; else
    ("task", the task that goes on with it)."""
    context = contextvars.copy_context()
    try:
        waiting_on = context.run(coroutine.send, None)
    except StopIteration as stop:
        return "value", stop.value
    except Exception as error:  # raised to the caller, as asyncio.gather would
        return "error", error
    task = asyncio.get_running_loop().create_task(_resume(coroutine, waiting_on), context=context)
    return "task", task


@overload
async def gather(a: Coroutine[Any, Any, A], b: Coroutine[Any, Any, B], /) -> tuple[A, B]: ...


@overload
async def gather(
    a: Coroutine[Any, Any, A], b: Coroutine[Any, Any, B], c: Coroutine[Any, Any, C], /
) -> tuple[A, B, C]: ...


async def gather(*coroutines: Coroutine[Any, Any, Any]) -> tuple[Any, ...]:
    """The coroutines' results, in their order; they run at the same time, as with
    `asyncio.gather`. If any raises, the first error in their order is raised once all have
    ended: none is left running behind the caller (a cancelled caller cancels them)."""
    started = [_start(coroutine) for coroutine in coroutines]
    tasks: list[asyncio.Task[Any]] = [value for kind, value in started if kind == "task"]
    if tasks:
        try:
            await asyncio.wait(tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
    results: list[Any] = []
    errors: list[BaseException] = []
    for kind, value in started:
        if kind == "task":
            error = value.exception() if not value.cancelled() else asyncio.CancelledError()
            if error is None:
                results.append(value.result())
            else:
                errors.append(error)
        elif kind == "error":
            errors.append(value)
        else:
            results.append(value)
    if errors:
        raise errors[0]
    return tuple(results)
