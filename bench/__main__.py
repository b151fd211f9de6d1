"""`make bench`: delivery benchmarks, printed as tables (results go to docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.dashboard import bench_dashboard
from bench.delivery import ROOT, Database, bench_broadcast, bench_due, bench_send
from bench.load import LoadResult, run_load, summary
from bench.ocr import bench_ocr
from bench.ocr import tables as ocr_tables
from bench.render_stall import bench_render_stall
from bench.scam_quality import bench_scam_quality
from bench.scam_quality import tables as scam_tables
from bench.statements import bench_statements
from bot.content.catalog import Catalog, load_catalog
from bot.ocr.tesseract import ocr_available


def figures(title: str, *columns: str) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    return table


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes (100,000 subscribers; 2,000 messages)"
    )
    parser.add_argument("--skip-send", action="store_true")
    parser.add_argument("--skip-due", action="store_true")
    parser.add_argument("--skip-broadcast", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-statements", action="store_true")
    parser.add_argument("--skip-render", action="store_true")
    parser.add_argument("--skip-ocr", action="store_true")
    parser.add_argument("--skip-scam", action="store_true")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument(
        "--dashboard-users",
        type=int,
        default=1_000_000,
        help="users in the dashboard's database (--quick: 100,000)",
    )
    parser.add_argument(
        "--dashboard-backends", default="postgresql,sqlite", help="comma-separated backends"
    )
    parser.add_argument(
        "--renders",
        type=int,
        default=10,
        help="reports and as many charts asked for at once while the loop is watched (--quick: 4)",
    )
    parser.add_argument(
        "--broadcast-30-messages",
        type=int,
        default=3_000,
        help="messages sent at the 30/s cap (100,000 would take 55 minutes)",
    )
    args = parser.parse_args()
    console = Console(width=220)
    console.print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} "
        f"cores, Python {platform.python_version()}"
    )
    catalog = load_catalog(ROOT / "data", "en")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_statements:
            table = figures(
                "The statements of every message, one at a time",
                "backend",
                "statement",
                "µs per call",
                "trips to the connection's thread",
            )
            for backend in ("sqlite", "postgresql"):
                database = Database(backend, workdir)
                try:
                    for timing in await bench_statements(database.url):
                        table.add_row(
                            backend,
                            timing.statement,
                            f"{timing.microseconds:.0f}",
                            f"{timing.trips:.0f}" if backend == "sqlite" else "-",
                        )
                finally:
                    database.drop()
            console.print(table)
        if not args.skip_render:
            renders = 4 if args.quick else args.renders
            draw_ms, stalls = await bench_render_stall(catalog, ROOT / "data" / "fonts", renders)
            table = figures(
                f"The event loop while reports and charts are drawn (a heartbeat sleeping 1 ms; "
                f"one report {draw_ms[0]:.0f} ms, one chart {draw_ms[1]:.0f} ms drawn alone)",
                "drawn",
                "workers",
                "pool",
                "reports + charts",
                "elapsed s",
                "worst ms late",
                "p99 ms late",
                "p50 ms late",
                "% of the time late",
            )
            for stall in stalls:
                table.add_row(
                    stall.way,
                    f"{stall.workers or '-'}",
                    stall.run,
                    f"{stall.renders or '-'}",
                    f"{stall.elapsed_s:.1f}",
                    f"{stall.worst_ms:.1f}",
                    f"{stall.p99_ms:.1f}",
                    f"{stall.p50_ms:.2f}",
                    f"{100 * stall.late_share:.1f}",
                )
            console.print(table)
        if not args.skip_scam:
            for table in scam_tables(*await bench_scam_quality(catalog)):
                console.print(table)
        if not args.skip_ocr:
            if ocr_available():
                for table in ocr_tables(await bench_ocr(args.quick)):
                    console.print(table)
            else:
                console.print("OCR: Tesseract with its bul and eng data is not installed")
        if not args.skip_due:
            table = figures(
                "Finding due tips (one tick at 08:00 in Sofia)",
                "backend",
                "subscribers",
                "due now",
                "find 1st batch ms",
                "enqueue 1st batch ms",
                "enqueue all due s",
            )
            sizes = [100_000] if args.quick else [100_000, 1_000_000]
            for backend in ("sqlite", "postgresql"):
                for size in sizes:
                    r = await bench_due(backend, size, catalog, workdir)
                    table.add_row(
                        backend,
                        f"{size:,}",
                        f"{r.due:,}",
                        f"{r.find_ms:.1f}",
                        f"{r.first_batch_ms:.0f}",
                        f"{r.enqueue_all_s:.1f}",
                    )
                    console.print(table)
        if not args.skip_send:
            table = figures(
                "Sending through the fake Bot API (1% blocked, two 429s)",
                "cap/s",
                "messages",
                "elapsed s",
                "achieved/s",
                "% of cap",
                "% of cap outside 429 pauses",
                "sent",
                "blocked",
                "duplicates",
                "lost",
                "refused by fake",
                "RSS growth MB",
            )
            messages = 2_000 if args.quick else 10_000
            for cap in (1000.0, 30.0):
                sent = await bench_send(cap, messages, workdir)
                table.add_row(
                    f"{cap:.0f}",
                    f"{sent.messages:,}",
                    f"{sent.elapsed_s:.1f}",
                    f"{sent.rate:.1f}",
                    f"{100 * sent.rate / cap:.1f}",
                    f"{100 * sent.rate_outside_pauses / cap:.1f}",
                    f"{sent.sent:,}",
                    f"{sent.blocked}",
                    f"{sent.duplicates}",
                    f"{sent.lost}",
                    f"{sent.refused_by_fake}",
                    f"{sent.rss_growth_mb:.1f}",
                )
                console.print(table)
        if not args.skip_broadcast:
            table = figures(
                "An announcement to every subscriber (fake Bot API, 1% blocked, two 429s)",
                "cap/s",
                "subscribers",
                "fan-out s",
                "sent through",
                "achieved/s",
                "% of cap",
                "% of cap outside 429 pauses",
                "sent",
                "blocked",
                "still queued",
                "duplicates",
                "lost",
                "RSS growth MB",
            )
            subscribers = 10_000 if args.quick else 100_000
            for cap, limit in ((1000.0, subscribers), (30.0, args.broadcast_30_messages)):
                b = await bench_broadcast(cap, subscribers, limit, workdir)
                table.add_row(
                    f"{cap:.0f}",
                    f"{b.subscribers:,}",
                    f"{b.fan_out_s:.1f}",
                    f"{b.attempted:,}",
                    f"{b.rate:.1f}",
                    f"{100 * b.rate / cap:.1f}",
                    f"{100 * b.rate_outside_pauses / cap:.1f}",
                    f"{b.sent:,}",
                    f"{b.blocked:,}",
                    f"{b.waiting:,}",
                    f"{b.duplicates}",
                    f"{b.lost}",
                    f"{b.rss_growth_mb:.1f}",
                )
                console.print(table)
        if not args.skip_dashboard:
            await dashboard_tables(args, console, catalog, workdir)
        if not args.skip_load:
            table = figures(
                "Users chatting through the webhook endpoint (real Rasa server; ms)",
                "backend",
                "concurrent chats",
                "messages",
                "msgs/s",
                "POST 200 p50",
                "reply p50",
                "reply p95",
                "reply p99",
                "Rasa parse p50",
                "Rasa parse p95",
                "reply - parse p50",
                "reply - parse p95",
                "in the bot p50",
                "in the bot p95",
            )
            per_chat = 5 if args.quick else 20
            for backend in ("sqlite", "postgresql"):
                database = Database(backend, workdir)
                try:
                    loads = await run_load((50, 200), per_chat, workdir, database.url)
                finally:
                    database.drop()
                for load in loads:
                    add_load_row(table, backend, load)
                console.print(table)


async def dashboard_tables(
    args: argparse.Namespace, console: Console, catalog: Catalog, workdir: Path
) -> None:
    users = 100_000 if args.quick else args.dashboard_users
    for backend in args.dashboard_backends.split(","):
        database = Database(backend, workdir)
        try:
            result = await bench_dashboard(database.url, backend, catalog, users, requests=60)
        finally:
            database.drop()
        table = figures(
            f"The dashboard's pages, {backend}, {result.users:,} users and 100 events "
            f"(filled in {result.fill_s:.0f} s; first rollup refresh {result.refresh_s:.1f} s, "
            f"a tick's refresh after it {result.refresh_again_ms:.0f} ms)",
            "signed in as",
            "page",
            "requests",
            "p50 ms",
            "p95 ms",
            "max ms",
        )
        for page in result.pages:
            table.add_row(
                page.who,
                page.page,
                f"{page.requests}",
                f"{page.p50_ms:.1f}",
                f"{page.p95_ms:.1f}",
                f"{page.max_ms:.1f}",
            )
        console.print(table)


def add_load_row(table: Table, backend: str, load: LoadResult) -> None:
    measured = summary(load)
    table.add_row(
        backend,
        f"{load.chats}",
        f"{load.messages:,}",
        f"{load.throughput:.0f}",
        *(
            f"{measured[k]:.1f}"
            for k in (
                "post_p50",
                "p50",
                "p95",
                "p99",
                "parse_p50",
                "parse_p95",
                "overhead_p50",
                "overhead_p95",
                "in_bot_p50",
                "in_bot_p95",
            )
        ),
    )


if __name__ == "__main__":  # the load client re-imports this module in its own process
    asyncio.run(main())
