"""Reading phone screenshots (issue 16): character accuracy, time per screenshot, and whether
the bot stays responsive meanwhile.

Every message of bench/data/ocr_messages.yml is drawn as a phone screenshot
(tests/auxil/screenshots.py: Pillow and the bundled DejaVu fonts) in light and dark mode, as an
SMS thread and as a chat, at a phone's full resolution (1080 px wide, PNG, as sent as a file)
and as Telegram delivers a photo (1280 px on the longer side, JPEG). Each is read through the
bot's own TesseractReader (bot/ocr), one at a time, with the languages a user of that language
gets. Accuracy is 1 - the normalised Levenshtein distance (rapidfuzz) between what was drawn
and what was read, spaces and line breaks collapsed. Meanwhile a heartbeat task sleeps 1 ms
again and again and records how late it wakes: every other chat waits as long. The same
heartbeat alone afterwards shows what the machine's other load costs anyway.

    .venv/bin/python -m bench.ocr [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz.distance import Levenshtein
from rich.console import Console
from rich.table import Table

from bot.ocr.tesseract import OcrLimits, TesseractReader, ocr_available
from tests.auxil.screenshots import Bubble, Mode, Style, render_chat

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "bench" / "data" / "ocr_messages.yml"
BEAT = 0.001
LIMITS = OcrLimits(max_bytes=20 * 1024 * 1024, max_pixels=25_000_000, timeout=60.0)
MODES: tuple[Mode, ...] = ("light", "dark")
STYLES: tuple[Style, ...] = ("sms", "chat")
# (name, image format, longer side after shrinking)
SHAPES = (("file 1080 px PNG", "PNG", None), ("photo 1280 px JPEG", "JPEG", 1280))
READ_AS = {"bg": ["bg", "en"], "en": ["en", "bg"]}


@dataclass(frozen=True)
class Reading:
    language: str
    mode: str
    style: str
    shape: str
    accuracy: float
    seconds: float


@dataclass(frozen=True)
class Lag:
    elapsed_s: float
    worst_ms: float
    p99_ms: float
    p50_ms: float


@dataclass(frozen=True)
class OcrReport:
    readings: list[Reading]
    lag: Lag
    # The heartbeat alone for as long, before: what the machine's other load costs anyway.
    idle: Lag
    worst: tuple[Reading, str, str] | None  # the least accurate, with what was drawn and read


def accuracy(expected: str, read: str) -> float:
    return 1.0 - Levenshtein.normalized_distance(" ".join(expected.split()), " ".join(read.split()))


def screenshots(quick: bool) -> list[tuple[str, str, str, str, bytes, str]]:
    data: dict[str, list[dict[str, Any]]] = yaml.safe_load(MESSAGES.read_text("utf-8"))
    shots: list[tuple[str, str, str, str, bytes, str]] = []
    for language, messages in data.items():
        for message in messages[:2] if quick else messages:
            bubbles = [Bubble(message["text"])]
            if message.get("reply"):
                bubbles.append(Bubble(message["reply"], sent=True))
            for mode in MODES:
                for style in STYLES:
                    for shape, image_format, shrink in SHAPES:
                        shot = render_chat(
                            message["sender"],
                            bubbles,
                            mode=mode,
                            style=style,
                            image_format=image_format,
                            shrink_to=shrink,
                        )
                        shots.append((language, mode, style, shape, shot.image, shot.text))
    return shots


async def heartbeat(lateness: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(BEAT)
        lateness.append(max(0.0, time.perf_counter() - start - BEAT))


def lag_of(lateness: list[float], elapsed: float) -> Lag:
    ordered = sorted(lateness)
    return Lag(
        elapsed,
        1000 * ordered[-1],
        1000 * ordered[int(0.99 * (len(ordered) - 1))],
        1000 * statistics.median(ordered),
    )


async def idle_lag(seconds: float) -> Lag:
    lateness: list[float] = []
    stop = asyncio.Event()
    beating = asyncio.create_task(heartbeat(lateness, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await beating
    return lag_of(lateness, seconds)


async def bench_ocr(quick: bool = False, workers: int = 1) -> OcrReport:
    shots = screenshots(quick)
    reader = TesseractReader(
        OcrLimits(LIMITS.max_bytes, LIMITS.max_pixels, LIMITS.timeout, workers)
    )
    readings: list[Reading] = []
    worst: tuple[Reading, str, str] | None = None
    lateness: list[float] = []
    stop = asyncio.Event()
    try:
        # One first read starts Tesseract's files in the page cache, as a running bot has them.
        await reader.read(shots[0][4], READ_AS[shots[0][0]])
        beating = asyncio.create_task(heartbeat(lateness, stop))
        began = time.perf_counter()
        for language, mode, style, shape, image, drawn in shots:
            start = time.perf_counter()
            text = await reader.read(image, READ_AS[language])
            reading = Reading(
                language, mode, style, shape, accuracy(drawn, text), time.perf_counter() - start
            )
            readings.append(reading)
            if worst is None or reading.accuracy < worst[0].accuracy:
                worst = (reading, drawn, text)
        elapsed = time.perf_counter() - began
        stop.set()
        await beating
    finally:
        reader.shutdown()
    idle = await idle_lag(min(elapsed, 20.0))
    return OcrReport(readings, lag_of(lateness, elapsed), idle, worst)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def tables(report: OcrReport) -> list[Table]:
    accuracy_table = Table(
        title="Reading phone screenshots with Tesseract (bul+eng): character accuracy and time"
    )
    for column in (
        "language",
        "mode",
        "screenshots",
        "accuracy mean %",
        "accuracy min %",
        "s per screenshot p50",
        "s p95",
        "s max",
    ):
        accuracy_table.add_column(column, justify="right")
    groups: dict[tuple[str, str], list[Reading]] = {}
    for reading in report.readings:
        groups.setdefault((reading.language, reading.mode), []).append(reading)
    groups[("all", "all")] = report.readings
    for (language, mode), readings in groups.items():
        accuracies = [r.accuracy for r in readings]
        seconds = [r.seconds for r in readings]
        accuracy_table.add_row(
            language,
            mode,
            f"{len(readings)}",
            f"{100 * statistics.mean(accuracies):.1f}",
            f"{100 * min(accuracies):.1f}",
            f"{statistics.median(seconds):.2f}",
            f"{percentile(seconds, 0.95):.2f}",
            f"{max(seconds):.2f}",
        )
    shapes = Table(title="By picture (both languages and modes)")
    for column in ("picture", "style", "accuracy mean %", "s per screenshot p50"):
        shapes.add_column(column, justify="right")
    by_shape: dict[tuple[str, str], list[Reading]] = {}
    for reading in report.readings:
        by_shape.setdefault((reading.shape, reading.style), []).append(reading)
    for (shape, style), readings in by_shape.items():
        shapes.add_row(
            shape,
            style,
            f"{100 * statistics.mean(r.accuracy for r in readings):.1f}",
            f"{statistics.median(r.seconds for r in readings):.2f}",
        )
    lag = Table(
        title="The event loop while screenshots are read one after another "
        "(a heartbeat sleeping 1 ms; ms late)"
    )
    for column in ("while", "elapsed s", "worst", "p99", "p50"):
        lag.add_column(column, justify="right")
    for name, measured in (("reading", report.lag), ("nothing (the machine's load)", report.idle)):
        lag.add_row(
            name,
            f"{measured.elapsed_s:.1f}",
            f"{measured.worst_ms:.1f}",
            f"{measured.p99_ms:.1f}",
            f"{measured.p50_ms:.2f}",
        )
    return [accuracy_table, shapes, lag]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ocr", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two messages per language")
    parser.add_argument("--show-worst", action="store_true", help="print the worst reading")
    args = parser.parse_args()
    console = Console(width=200)
    if not ocr_available():
        raise SystemExit("Tesseract with its bul and eng data is not installed (README)")
    console.print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}"
    )
    report = asyncio.run(bench_ocr(args.quick))
    for table in tables(report):
        console.print(table)
    if args.show_worst and report.worst is not None:
        reading, drawn, read = report.worst
        console.print(f"worst: {reading}\n--- drawn:\n{drawn}\n--- read:\n{read}")


if __name__ == "__main__":
    main()
