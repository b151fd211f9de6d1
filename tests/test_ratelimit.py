"""The token bucket on a virtual clock: no real waiting."""

from __future__ import annotations

import asyncio
import time as wall_time

from bot.delivery.ratelimit import LocalSlots, RateLimiter


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sends: list[tuple[float, int]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        # Yielding to the event loop also takes a little time.
        self.now += max(seconds, 1e-4)


async def send_all(limiter: RateLimiter, time: VirtualTime, chats: list[int]) -> None:
    for chat in chats:
        await limiter.acquire(chat)
        time.sends.append((time.now, chat))


def max_in_any_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


async def test_global_rate_is_kept_over_time() -> None:
    time = VirtualTime()
    limiter = RateLimiter(30, clock=time.clock, sleep=time.sleep)
    await send_all(limiter, time, list(range(300)))
    elapsed = time.sends[-1][0]
    assert 300 / elapsed >= 0.97 * 30
    assert max_in_any_second([t for t, _ in time.sends]) <= 30


async def test_one_message_per_second_per_chat() -> None:
    time = VirtualTime()
    limiter = RateLimiter(1000, clock=time.clock, sleep=time.sleep)
    await send_all(limiter, time, [5, 5, 5, 6])
    times = {chat: [t for t, c in time.sends if c == chat] for chat in (5, 6)}
    assert [round(t, 3) for t in times[5]] == [0.0, 1.0, 2.0]


async def test_pause_holds_everyone() -> None:
    time = VirtualTime()
    limiter = RateLimiter(1000, clock=time.clock, sleep=time.sleep)
    limiter.pause(7)
    await send_all(limiter, time, [1])
    assert time.sends[0][0] >= 7 - 1e-6


async def test_per_chat_memory_is_bounded() -> None:
    time = VirtualTime()
    limiter = RateLimiter(1000, clock=time.clock, sleep=time.sleep)
    await send_all(limiter, time, list(range(10_000)))
    assert len(limiter._chats) <= 1000 + 1


async def test_a_chat_that_must_wait_does_not_hold_up_the_others() -> None:
    limiter = RateLimiter(100)
    granted: dict[int, float] = {}
    started = asyncio.get_running_loop().time()

    async def send(key: int, chat: int) -> None:
        await limiter.acquire(chat)
        granted[key] = asyncio.get_running_loop().time() - started

    # Chat 5 twice: its second message must wait a second, the chats behind it must not.
    await asyncio.gather(*(send(key, chat) for key, chat in enumerate([5, 5, 6, 7, 8])))
    # By order, not by a bound on time: the others were let through before chat 5's wait ended.
    assert max(granted[2], granted[3], granted[4]) < granted[1]
    assert granted[1] >= 1.0 - 1e-3


async def grants_with_stalls(
    cap: float, chats: int, stalls_after: tuple[int, ...], stall_s: float
) -> list[float]:
    """One message to each of `chats` chats at once, on the real loop; after each grant
    counted in `stalls_after` the loop's thread is blocked for `stall_s`. The grant times."""
    limiter = RateLimiter(cap)
    loop = asyncio.get_running_loop()
    grants: list[float] = []

    async def send(chat: int) -> None:
        await limiter.acquire(chat)
        grants.append(loop.time())
        if len(grants) in stalls_after:
            wall_time.sleep(stall_s)  # noqa: ASYNC251 - the stall is the point

    await asyncio.gather(*(send(chat) for chat in range(chats)))
    return grants


async def test_late_wake_ups_never_put_more_than_the_cap_into_a_second() -> None:
    """The event loop busy for 300 ms (a long garbage collection, a slow query in the loop's
    thread): every caller whose slot passed meanwhile wakes at once. They may catch up, but
    never beyond the cap in any one-second window."""
    cap = 50
    grants = await grants_with_stalls(cap, chats=120, stalls_after=(10, 40), stall_s=0.3)
    assert max_in_any_second(grants) <= cap
    assert 120 / (grants[-1] - grants[0]) >= 0.9 * cap


async def test_a_stall_longer_than_a_second_is_caught_up_within_the_cap() -> None:
    """Over a second of slots passes while the loop is blocked: the callers of all of them
    wake at once, and the trailing window lets through no more than the cap in any second.
    (This process's own grid: no other process sends on it.)"""
    cap = 100
    grants = await grants_with_stalls(cap, chats=300, stalls_after=(20, 150), stall_s=1.2)
    assert len(grants) == 300
    assert max_in_any_second(grants) <= cap


class SharedGrid:
    """Slots as a grid other processes share hands them out: a slot passed is no use."""

    late_limit = 0.01

    def __init__(self, per_second: float) -> None:
        self._grid = LocalSlots(per_second)
        self.handed: list[float] = []

    async def take(self, not_before: float) -> float:
        self.handed.append(await self._grid.take(not_before))
        return self.handed[-1]

    def pause(self, seconds: float) -> None:
        pass


async def test_a_caller_woken_too_late_for_a_shared_slot_takes_a_new_one() -> None:
    class BusyLoop(VirtualTime):
        """Every other sleep ends 50 ms late."""

        sleeps = 0

        async def sleep(self, seconds: float) -> None:
            self.sleeps += 1
            await super().sleep(seconds + (0.05 if self.sleeps % 2 else 0.0))

    time = BusyLoop()
    grid = SharedGrid(10)
    limiter = RateLimiter(10, slots=grid, clock=time.clock, sleep=time.sleep)
    for chat in range(20):
        await limiter.acquire(chat)
        # Sent within late_limit of the slot it holds, which nobody else holds.
        assert time.now - grid.handed[-1] <= grid.late_limit
    assert len(grid.handed) > 20  # some were given up
    assert len(set(grid.handed)) == len(grid.handed)


async def test_a_429_while_callers_wait_holds_every_one_of_them() -> None:
    limiter = RateLimiter(100)
    loop = asyncio.get_running_loop()
    grants: list[float] = []

    async def send(chat: int) -> None:
        await limiter.acquire(chat)
        grants.append(loop.time())
        if len(grants) == 5:
            limiter.pause(0.5)

    await asyncio.gather(*(send(chat) for chat in range(20)))
    fifth = grants[4]
    assert all(t <= fifth + 1e-3 or t >= fifth + 0.5 - 1e-3 for t in grants)
    assert len([t for t in grants if t >= fifth + 0.5 - 1e-3]) == 15
