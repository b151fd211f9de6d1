"""How long the event loop stalls while checklist reports (PDF) and /stats charts are drawn.

A heartbeat task sleeps 1 ms again and again and records how late it wakes: every other chat
waits as long. Meanwhile N reports and N charts are asked for at once, through the renderer
ports, drawn in one of three ways:

- on the loop: the drawing code called in the coroutine, as the core did before issue 13.8;
- thread: a ThreadPoolExecutor behind the same ports;
- process: worker processes (RenderPool's default, what the bot uses).

A pool is measured cold (its first batch starts it) and warm (the next batch)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bot.content.catalog import Catalog
from bot.core.ports import ChecklistRun, ChecklistStats, Stats
from bot.core.report import ChecklistReport
from bot.documents.charts import StatsCharts
from bot.documents.pdf import PdfReports
from bot.documents.workers import PooledCharts, PooledReports, RenderPool, worker_processes
from bot.features.checklists import ChecklistFeature
from bot.features.organising import CHART_LABELS, STATS_DAYS
from tests.fakes.core import FixedClock, MemoryChecklistRuns

BEAT = 0.001
FINISHED = dt.datetime(2026, 10, 20, 9, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Stall:
    way: str
    workers: int
    run: str  # "cold" or "warm"
    renders: int
    elapsed_s: float
    worst_ms: float
    p99_ms: float
    p50_ms: float
    late_share: float  # of the elapsed time, how much the heartbeat spent waiting beyond 1 ms


class OnTheLoop:
    """The renderers as the core called them before: synchronously, in the coroutine."""

    def __init__(self, font_dir: Path) -> None:
        self.reports = PdfReports(font_dir)
        self.charts = StatsCharts(font_dir)
        self.one_at_a_time = asyncio.Lock()

    # In the bot each request reaches the drawing after its own database calls, so the loop
    # runs its other tasks between two renders. Asked for all at once, the renders would run
    # back to back before the loop looks at its timers: one at a time, each after a wait as
    # short as a database call, one render is one stall, as in the bot.
    async def checklist_pdf(self, report: ChecklistReport) -> bytes:
        async with self.one_at_a_time:
            await asyncio.sleep(2 * BEAT)
            return self.reports.checklist_pdf(report)

    async def stats_png(self, stats: Stats, labels: dict[str, str]) -> bytes:
        async with self.one_at_a_time:
            await asyncio.sleep(2 * BEAT)
            return self.charts.stats_png(stats, labels)


async def sample_report(catalog: Catalog, renderer: OnTheLoop) -> ChecklistReport:
    """The Bulgarian essentials checklist, finished with a third of it not done yet."""
    checklist = catalog.checklists["bg"]["essentials"]
    marks = ("not_yet", "done", "na")
    answers = {item.key: marks[n % 3] for n, item in enumerate(checklist.items)}
    run = ChecklistRun(1, 1, checklist.id, answers, FINISHED, FINISHED, score=55)
    feature = ChecklistFeature(catalog, MemoryChecklistRuns(), FixedClock(FINISHED), renderer)
    return await feature._report("bg", checklist, run)


def sample_stats(catalog: Catalog) -> Stats:
    """Sixty days of a campaign: two languages, two audiences, every region, ten topics."""
    rng = random.Random(13)
    days = [FINISHED.date() - dt.timedelta(days=STATS_DAYS - n) for n in range(STATS_DAYS)]

    def running(series: list[str]) -> dict[str, list[tuple[dt.date, int]]]:
        totals = dict.fromkeys(series, 0)
        out: dict[str, list[tuple[dt.date, int]]] = {name: [] for name in series}
        for day in days:
            for name in series:
                totals[name] += rng.randrange(0, 40)
                out[name].append((day, totals[name]))
        return out

    regions = list(catalog.regions)
    return Stats(
        users_by_language={"bg": 9_000, "en": 1_200},
        subscribers_by_audience={"citizen": 6_000, "business": 900},
        users_by_region={region: rng.randrange(50, 900) for region in regions},
        new_users_by_day=[(day, rng.randrange(20, 400)) for day in days],
        over_time={
            "language": running(["bg", "en"]),
            "audience": running(["citizen", "business"]),
            "region": running(regions),
        },
        sent_by_kind={"tip": 80_000, "broadcast": 20_000},
        top_topics=[(f"topic_{n}", 500 - 40 * n) for n in range(10)],
        unanswered=140,
        checklists=[ChecklistStats("essentials", 300, 61.5, 40)],
    )


async def heartbeat(stop: asyncio.Event, lateness: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(BEAT)
        lateness.append(time.perf_counter() - before - BEAT)


async def idle(seconds: float) -> Stall:
    """The heartbeat alone: the machine's own noise, below which no way can go."""
    stop, lateness = asyncio.Event(), list[float]()
    beating = asyncio.create_task(heartbeat(stop, lateness))
    await asyncio.sleep(seconds)
    stop.set()
    await beating
    return summary("idle (nothing drawn)", 0, "-", 0, seconds, lateness)


def summary(
    way: str, workers: int, run: str, renders: int, elapsed: float, lateness: list[float]
) -> Stall:
    ms = sorted(1000 * late for late in lateness)
    return Stall(
        way,
        workers,
        run,
        renders,
        elapsed,
        ms[-1],
        ms[int(0.99 * (len(ms) - 1))],
        statistics.median(ms),
        sum(lateness) / elapsed,
    )


async def measure(
    way: str,
    workers: int,
    run: str,
    reports: OnTheLoop | PooledReports,
    charts: OnTheLoop | PooledCharts,
    report: ChecklistReport,
    stats: Stats,
    labels: dict[str, str],
    count: int,
) -> Stall:
    stop, lateness = asyncio.Event(), list[float]()
    beating = asyncio.create_task(heartbeat(stop, lateness))
    await asyncio.sleep(0.05)  # the heartbeat is under way before the first render
    lateness.clear()
    started = time.perf_counter()
    documents = await asyncio.gather(
        *(reports.checklist_pdf(report) for _ in range(count)),
        *(charts.stats_png(stats, labels) for _ in range(count)),
    )
    elapsed = time.perf_counter() - started
    stop.set()
    await beating
    assert all(d.startswith((b"%PDF-", b"\x89PNG")) for d in documents)
    return summary(way, workers, run, 2 * count, elapsed, lateness)


def draw_times(
    inline: OnTheLoop, report: ChecklistReport, stats: Stats, labels: dict[str, str]
) -> tuple[float, float]:
    """Milliseconds of one report and of one chart, drawn alone (the best of three)."""

    def best(draw: Callable[[], bytes]) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            draw()
            times.append(1000 * (time.perf_counter() - started))
        return min(times)

    return (
        best(lambda: inline.reports.checklist_pdf(report)),
        best(lambda: inline.charts.stats_png(stats, labels)),
    )


async def bench_render_stall(
    catalog: Catalog, font_dir: Path, count: int
) -> tuple[tuple[float, float], list[Stall]]:
    inline = OnTheLoop(font_dir)
    report = await sample_report(catalog, inline)
    stats = sample_stats(catalog)
    labels = {key: catalog.text("bg", f"stats.chart.{key}") for key in CHART_LABELS}
    inputs = (report, stats, labels, count)
    draw_ms = draw_times(inline, report, stats, labels)  # the fonts loaded, as in a warm pool
    results = [await idle(3.0), await measure("on the loop", 0, "warm", inline, inline, *inputs)]
    ways: list[tuple[str, int, Callable[[], Executor]]] = [
        ("thread", 1, lambda: ThreadPoolExecutor(1)),
        ("thread", 2, lambda: ThreadPoolExecutor(2)),
        ("process", 1, lambda: worker_processes(1)),
        ("process", 2, lambda: worker_processes(2)),
    ]
    for way, workers, start in ways:
        pool = RenderPool(start)
        try:
            reports, charts = PooledReports(font_dir, pool), PooledCharts(font_dir, pool)
            for run in ("cold", "warm"):
                results.append(await measure(way, workers, run, reports, charts, *inputs))
        finally:
            pool.shutdown()
    return draw_ms, results


if __name__ == "__main__":  # a worker process re-imports the main module
    from bench.delivery import ROOT
    from bot.content.catalog import load_catalog

    draw_ms, stalls = asyncio.run(
        bench_render_stall(load_catalog(ROOT / "data", "en"), ROOT / "data" / "fonts", 4)
    )
    print(f"one report {draw_ms[0]:.0f} ms, one chart {draw_ms[1]:.0f} ms")
    for stall in stalls:
        print(stall)
