"""Several bot processes sending on the grid of slots in PostgreSQL (SharedSlots): how much of
the cap they use together, and the most sends any one-second window holds, with and without
stalls of their event loops. `python -m bench.shared_rate` (tests/test_shared_rate.py runs the
same processes and asserts the cap)."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from bot.delivery.ratelimit import RateLimiter
from bot.storage.db import make_engine, migrate
from bot.storage.send_rate import SharedSlots

# {after the n-th send of the process: seconds the event loop is blocked}
Stalls = dict[int, float]

SCENARIOS: dict[str, list[Stalls]] = {
    "on time": [{}, {}, {}],
    "one process stalls": [{40: 0.5, 100: 0.3}, {}, {}],
    "every process stalls": [{40: 0.5, 100: 0.3}, {45: 0.5, 90: 0.3}, {35: 0.4, 110: 0.5}],
}


def max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    most, end = 0, 0
    for start, at in enumerate(times):
        while end < len(times) and times[end] < at + 1.0:
            end += 1
        most = max(most, end - start)
    return most


async def send_all(
    limiter: RateLimiter, messages: int, first_chat: int, stalls: Stalls
) -> list[float]:
    """`messages` sends to as many chats at once, each timed when acquire returns (when the
    message would go to Telegram); after the n-th, the event loop blocks for stalls[n]."""
    sent: list[float] = []

    async def send(chat: int) -> None:
        await limiter.acquire(chat)
        sent.append(time.monotonic())
        if stall := stalls.get(len(sent)):
            time.sleep(stall)  # noqa: ASYNC251 - the stall is the point

    await asyncio.gather(*(send(first_chat + chat) for chat in range(messages)))
    return sent


def sending_process(
    url: str,
    cap: float,
    messages: int,
    index: int,
    stalls: Stalls,
    ready: Barrier,
    results: Queue[tuple[int, list[float] | str]],
) -> None:
    """One bot process: its own engine, SharedSlots and limiter; it starts when all are ready."""

    async def main() -> list[float]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("select 1"))  # connected before the start
            limiter = RateLimiter(cap, slots=SharedSlots(engine, cap))
            ready.wait(timeout=120)
            return await send_all(limiter, messages, messages * index, stalls)
        finally:
            await engine.dispose()

    try:
        results.put((index, asyncio.run(main())))
    except BaseException as exc:
        results.put((index, repr(exc)))
        raise


def run_processes(url: str, cap: float, messages: int, stalls: list[Stalls]) -> list[list[float]]:
    """One process for each entry of `stalls`, all sending `messages` at `cap` on the grid in
    the database at `url` (migrated); the times of each one's sends."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(stalls))
    results: Queue[tuple[int, list[float] | str]] = context.Queue()
    processes = [
        context.Process(
            target=sending_process, args=(url, cap, messages, n, stalled, ready, results)
        )
        for n, stalled in enumerate(stalls)
    ]
    for process in processes:
        process.start()
    try:
        answers = dict(results.get(timeout=240) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    sent: list[list[float]] = []
    for n in range(len(processes)):
        answer = answers[n]
        if isinstance(answer, str):
            raise RuntimeError(f"sending process {n} failed: {answer}")
        sent.append(answer)
    return sent


@dataclass
class SharedResult:
    scenario: str
    sent: int
    elapsed_s: float
    stalled_s: float
    most_in_a_second: int

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed_s


def bench_shared(url: str, cap: float, messages: int, scenario: str) -> SharedResult:
    stalls = SCENARIOS[scenario]
    sent = run_processes(url, cap, messages, stalls)
    every = sorted(t for times in sent for t in times)
    return SharedResult(
        scenario=scenario,
        sent=len(every),
        elapsed_s=every[-1] - every[0],
        stalled_s=sum(sum(stalled.values()) for stalled in stalls),
        most_in_a_second=max_in_any_second(every),
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.shared_rate", description=__doc__)
    parser.add_argument("--cap", type=float, default=100.0)
    parser.add_argument("--messages", type=int, default=300, help="sent by each process")
    parser.add_argument("--runs", type=int, default=3, help="of each scenario")
    args = parser.parse_args()
    from bench.delivery import Database  # not in the sending processes: it imports the whole bot

    table = Table(title=f"Three processes on one grid in PostgreSQL, cap {args.cap:.0f}/s")
    for column in ("scenario", "run", "sent", "elapsed s", "sent/s", "% of cap", "most in 1 s"):
        table.add_column(column, justify="right")
    database = Database("postgresql", Path("."))
    try:
        migrate(database.url)
        for scenario in SCENARIOS:
            for run in range(1, args.runs + 1):
                r = bench_shared(database.url, args.cap, args.messages, scenario)
                table.add_row(
                    scenario,
                    str(run),
                    f"{r.sent:,}",
                    f"{r.elapsed_s:.2f}",
                    f"{r.rate:.1f}",
                    f"{100 * r.rate / args.cap:.1f}",
                    str(r.most_in_a_second),
                )
    finally:
        database.drop()
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
