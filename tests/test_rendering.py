"""PDF reports and the /stats chart are rendered off the event loop (issue 13): while one is
being drawn, the bot goes on answering everybody else.

None of these tests measures time: each render is held until the loop has shown that it runs
(a task of the loop releases it), or the thread it ran on is recorded. The stall itself is
measured by bench/render_stall.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import re
import signal
import threading
from asyncio import FIRST_COMPLETED
from dataclasses import replace
from pathlib import Path

import pytest

from bot.bootstrap import DialoguePorts, bootstrap
from bot.content.catalog import Catalog
from bot.core.messages import Incoming, Outcome
from bot.core.ports import Stats
from bot.core.report import ChecklistReport
from bot.dialogue.router import Dialogue
from bot.documents.charts import StatsCharts
from bot.documents.pdf import PdfReports
from bot.documents.workers import PooledCharts, PooledReports, RenderPool
from tests.auxil.dialogue import dialogue_on
from tests.auxil.environment import ORGANISER_ID, ROOT
from tests.auxil.reports import report
from tests.auxil.telegram_bot import ORGANISER, settings_for
from tests.fakes.core import FakeNLU, FixedClock
from tests.render_jobs import GIVE_UP, hold

FONTS = ROOT / "data" / "fonts"
USER = 11
GROUPS = ("language", "audience", "region")


def datas(outcome: Outcome) -> list[str]:
    return [b.data or "" for r in outcome.replies for row in r.buttons for b in row]


async def finish_a_checklist(dialogue: Dialogue, user: int) -> str:
    """Answer every item of the essentials; the callback of the PDF report's button."""
    outcome = await dialogue.handle(Incoming(user, callback="cks:essentials"))
    while answers := [d for d in datas(outcome) if d.startswith("cka:") and d.endswith(":d")]:
        outcome = await dialogue.handle(Incoming(user, callback=answers[0]))
    return next(d for d in datas(outcome) if d.startswith("ckp:"))


class HeldReports:
    """A renderer that does not finish until the test releases it."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def checklist_pdf(self, report: ChecklistReport) -> bytes:
        self.started.set()
        await self.release.wait()
        return b"%PDF-1.4 held"


class HeldCharts:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def stats_png(self, stats: Stats, labels: dict[str, str]) -> bytes:
        self.started.set()
        await self.release.wait()
        return b"\x89PNG held"


async def test_other_chats_are_answered_while_a_report_and_a_chart_are_rendered(
    catalog: Catalog, nlu: FakeNLU, clock: FixedClock, dialogue_ports: DialoguePorts
) -> None:
    reports, charts = HeldReports(), HeldCharts()
    held = replace(
        dialogue_ports, reports=reports, events=replace(dialogue_ports.events, charts=charts)
    )
    dialogue = dialogue_on(catalog, held, nlu, clock)
    pdf = await finish_a_checklist(dialogue, USER)

    rendering = asyncio.create_task(dialogue.handle(Incoming(USER, callback=pdf)))
    drawing = asyncio.create_task(dialogue.handle(Incoming(ORGANISER_ID, command="stats")))
    for renderer, turn in ((reports, rendering), (charts, drawing)):
        started = asyncio.create_task(renderer.started.wait())
        await asyncio.wait((started, turn), timeout=GIVE_UP, return_when=FIRST_COMPLETED)
        assert renderer.started.is_set(), "the core awaits the renderer"
    # Both renders are under way; another chat is answered meanwhile.
    other = await dialogue.handle(Incoming(USER + 1, command="start"))
    assert other.replies and not rendering.done() and not drawing.done()
    reports.release.set()
    charts.release.set()

    document = (await rendering).replies[0].document
    assert document is not None and document.content == b"%PDF-1.4 held"
    chart = (await drawing).replies[1].document
    assert chart is not None and chart.content == b"\x89PNG held"


async def test_the_application_renders_reports_and_charts_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renderers as the application wires them: the drawing code is never called on the
    event loop's thread (here it is not called in this process at all: a worker draws)."""
    called_on: list[int] = []
    draw_pdf, draw_chart = PdfReports.checklist_pdf, StatsCharts.stats_png

    def recorded_pdf(self: PdfReports, report: ChecklistReport) -> bytes:
        called_on.append(threading.get_ident())
        return draw_pdf(self, report)

    def recorded_chart(self: StatsCharts, stats: Stats, labels: dict[str, str]) -> bytes:
        called_on.append(threading.get_ident())
        return draw_chart(self, stats, labels)

    monkeypatch.setattr(PdfReports, "checklist_pdf", recorded_pdf)
    monkeypatch.setattr(StatsCharts, "stats_png", recorded_chart)
    before = set(multiprocessing.active_children())
    async with bootstrap(settings_for(tmp_path), nlu=FakeNLU()) as services:
        dialogue = services.dialogue
        pdf = await finish_a_checklist(dialogue, USER)
        document = (await dialogue.handle(Incoming(USER, callback=pdf))).replies[0].document
        stats = await dialogue.handle(Incoming(ORGANISER, command="stats"))
        chart = stats.replies[1].document
        workers = set(multiprocessing.active_children()) - before
    loop_thread = threading.get_ident()
    assert document is not None and document.content.startswith(b"%PDF-")
    assert chart is not None and chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert loop_thread not in called_on
    assert workers, "the documents were drawn by worker processes"
    # Leaving the application stops them.
    assert not any(worker.is_alive() for worker in workers)


async def test_the_loop_goes_on_while_a_worker_is_busy(tmp_path: Path) -> None:
    """The job waits for an answer that only the loop can give: were it run on the loop,
    nothing would answer it until it gave up."""
    started, done = asyncio.Event(), asyncio.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert await reader.readline() == b"started\n"
        started.set()
        await done.wait()
        writer.write(b"go\n")
        await writer.drain()
        writer.close()

    address = str(tmp_path / "loop.sock")
    pool = RenderPool()
    server = await asyncio.start_unix_server(answer, address)
    try:
        job = asyncio.create_task(pool.run(hold, address))
        await asyncio.wait_for(started.wait(), GIVE_UP)
        assert not job.done()  # under way in the worker, while the loop runs this test
        done.set()
        assert await asyncio.wait_for(job, GIVE_UP) != os.getpid()
    finally:
        done.set()
        server.close()
        pool.shutdown()


async def test_a_lost_worker_is_replaced() -> None:
    pool = RenderPool()
    try:
        worker = await pool.run(os.getpid)
        os.kill(worker, signal.SIGKILL)
        assert await pool.run(os.getpid) not in (worker, os.getpid())
    finally:
        pool.shutdown()


def without_date(pdf: bytes) -> bytes:
    """The creation date, and the file id derived from it, differ between any two renders."""
    pdf = re.sub(rb"/CreationDate \(D:\d+Z\)", b"", pdf)
    return re.sub(rb"/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"", pdf)


async def test_workers_draw_the_same_documents() -> None:
    pool = RenderPool()
    try:
        bulgarian = report("Основни мерки за сигурност", "Двуфакторна автентикация")
        pooled = await PooledReports(FONTS, pool).checklist_pdf(bulgarian)
        assert without_date(pooled) == without_date(PdfReports(FONTS).checklist_pdf(bulgarian))

        day = dt.date(2026, 10, 5)
        stats = Stats(
            users_by_language={"bg": 3},
            subscribers_by_audience={"citizen": 2},
            users_by_region={},
            new_users_by_day=[(day, 3)],
            over_time={"language": {"bg": [(day, 3)]}},
            sent_by_kind={},
            top_topics=[("phishing", 4)],
            unanswered=0,
            checklists=[],
        )
        panels = ("title", "new_users", "topics")
        labels = dict.fromkeys(panels + tuple(f"over_time.{g}" for g in GROUPS), "Статистика")
        pooled = await PooledCharts(FONTS, pool).stats_png(stats, labels)
        assert pooled == StatsCharts(FONTS).stats_png(stats, labels)
    finally:
        pool.shutdown()
