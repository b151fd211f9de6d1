"""The token bucket on a virtual clock: no real waiting."""

from __future__ import annotations

from bot.delivery.ratelimit import RateLimiter


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
    assert max_in_any_second([t for t, _ in time.sends]) <= 30 + limiter.capacity


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
