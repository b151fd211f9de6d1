"""bot.core.eager.gather: asyncio.gather's results, without a loop turn for what is done at once."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from bot.core import eager

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="caller")


async def at_once(value: int) -> int:
    return value


async def after(future: asyncio.Future[int], log: list[str], name: str) -> int:
    log.append(f"{name} started")
    value = await future
    log.append(f"{name} done")
    return value


async def test_what_finishes_at_once_costs_no_turn_of_the_loop() -> None:
    turned: list[bool] = []
    asyncio.get_running_loop().call_soon(turned.append, True)
    assert await eager.gather(at_once(1), at_once(2)) == (1, 2)
    assert turned == []  # the callback queued before would have run on any turn


async def test_waiting_coroutines_run_at_the_same_time_and_keep_their_order() -> None:
    loop = asyncio.get_running_loop()
    first, second = loop.create_future(), loop.create_future()
    log: list[str] = []
    gathering = asyncio.ensure_future(
        eager.gather(after(first, log, "a"), after(second, log, "b"), at_once(3))
    )
    await asyncio.sleep(0)
    assert log == ["a started", "b started"]
    second.set_result(20)
    await asyncio.sleep(0)
    first.set_result(10)
    assert await gathering == (10, 20, 3)
    assert log == ["a started", "b started", "b done", "a done"]


async def test_an_error_is_raised_once_the_others_have_ended() -> None:
    loop = asyncio.get_running_loop()
    slow = loop.create_future()
    log: list[str] = []

    async def failing() -> int:
        raise ValueError("first")

    gathering = asyncio.ensure_future(eager.gather(failing(), after(slow, log, "b")))
    await asyncio.sleep(0)
    assert not gathering.done()  # the other one still runs
    slow.set_result(1)
    with pytest.raises(ValueError, match="first"):
        await gathering
    assert log == ["b started", "b done"]


async def test_an_error_after_waiting_is_raised() -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    async def fails_later() -> int:
        await future
        raise KeyError("later")

    gathering = asyncio.ensure_future(eager.gather(at_once(1), fails_later()))
    await asyncio.sleep(0)
    future.set_result(None)
    with pytest.raises(KeyError):
        await gathering


async def test_cancelling_the_caller_cancels_what_still_waits() -> None:
    loop = asyncio.get_running_loop()
    never: asyncio.Future[int] = loop.create_future()
    cancelled: list[bool] = []

    async def waits() -> int:
        try:
            return await never
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    gathering = asyncio.ensure_future(eager.gather(waits(), at_once(1)))
    await asyncio.sleep(0)
    gathering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gathering
    await asyncio.sleep(0)
    assert cancelled == [True]


async def test_each_coroutine_runs_in_a_copy_of_the_callers_context() -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    async def sets(value: str) -> str:
        VAR.set(value)
        await future
        return VAR.get()

    async def sets_at_once(value: str) -> str:
        VAR.set(value)
        return VAR.get()

    gathering = asyncio.ensure_future(eager.gather(sets("a"), sets_at_once("b")))
    await asyncio.sleep(0)
    future.set_result(None)
    assert await gathering == ("a", "b")
    assert VAR.get() == "caller"
