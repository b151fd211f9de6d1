"""The renderers behind the core's async ports, drawing in worker processes.

fpdf2 and matplotlib are mostly Python and hold the GIL while they draw (a report takes about
0.1 s of CPU, the /stats chart most of a second): in a thread they would still stall the event
loop, only in smaller pieces. A worker process leaves the loop its own interpreter
(bench/render_stall.py measures the loop, the thread and the process).

The workers start on the first render, not with the bot: most processes never draw. They are
spawned, not forked: a fork copies a process whose event loop and threads are running.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.ports import Stats
from bot.core.report import ChecklistReport

if TYPE_CHECKING:
    from bot.documents.charts import StatsCharts
    from bot.documents.pdf import PdfReports

T = TypeVar("T")


def worker_processes(workers: int = 1) -> Executor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


class RenderPool:
    """Where the rendering runs: an executor made on first use, and replaced when broken."""

    def __init__(self, start: Callable[[], Executor] = worker_processes) -> None:
        self._start = start
        self._executor: Executor | None = None

    async def run(self, job: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            executor = self._executor_in_use()
            try:
                return await loop.run_in_executor(executor, job, *args)
            except BrokenExecutor:
                # A worker died (killed, out of memory) and took the pool with it: every later
                # job would fail too. A new pool takes this job once more.
                if self._executor is executor:
                    self._executor = None
                    executor.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def shutdown(self) -> None:
        """Wait for what is being drawn and stop the workers (blocking: call from a thread)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _executor_in_use(self) -> Executor:
        if self._executor is None:
            self._executor = self._start()
        return self._executor


class PooledReports:
    """ReportRenderer: the checklist report as PDF, drawn in the pool."""

    def __init__(self, font_dir: Path, pool: RenderPool) -> None:
        self.font_dir = font_dir
        self.pool = pool

    async def checklist_pdf(self, report: ChecklistReport) -> bytes:
        return await self.pool.run(draw_checklist_pdf, self.font_dir, report)


class PooledCharts:
    """ChartRenderer: the /stats chart as PNG, drawn in the pool."""

    def __init__(self, font_dir: Path, pool: RenderPool) -> None:
        self.font_dir = font_dir
        self.pool = pool

    async def stats_png(self, stats: Stats, labels: dict[str, str]) -> bytes:
        return await self.pool.run(draw_stats_png, self.font_dir, stats, labels)


# What runs in a worker. The drawing libraries are imported there: the bot's own process
# never loads fpdf2 or matplotlib.


def draw_checklist_pdf(font_dir: Path, report: ChecklistReport) -> bytes:
    return _reports(font_dir).checklist_pdf(report)


def draw_stats_png(font_dir: Path, stats: Stats, labels: dict[str, str]) -> bytes:
    return _charts(font_dir).stats_png(stats, labels)


@functools.cache
def _reports(font_dir: Path) -> PdfReports:
    from bot.documents.pdf import PdfReports

    return PdfReports(font_dir)


@functools.cache
def _charts(font_dir: Path) -> StatsCharts:
    from bot.documents.charts import StatsCharts

    return StatsCharts(font_dir)
