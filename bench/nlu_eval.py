"""`make nlu-eval`: compare NLU pipelines by measurement.

For each candidate in nlu/configs/: train it (timed), start a real Rasa server with it (memory),
parse every held-out example in nlu/tests/ over HTTP (latency), and score the bot's decisions
(the fallback and ambiguity thresholds applied) per group of examples (one group per file
`nlu/tests/test_nlu_<group>.yml`): accuracy, macro F1 and out_of_scope recall. The thresholds are
tuned on one half of the held-out data and reported on the other half. A candidate is trained
on the data as the bot trains it (Latin-typed examples also read into Cyrillic, and messages
read the same way before parsing); with --before REV each is also measured as it was at commit
REV (trained on nlu/data of that commit, messages parsed as typed), in the same run and on the
same held-out examples. With --baseline REV each is also measured as the bot was at REV: the
candidate's config and nlu/data of that commit, Latin-typed examples read as now. With --cv,
Rasa's own 3-fold cross-validation on the training data is added. NLU_EVAL_OUT (default
var/nlu-eval) and NLU_EVAL_PORT (default 5605, one port per candidate from there) let two runs
share a machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from rich.console import Console
from rich.table import Table

from bot.content.catalog import load_catalog
from bot.content.typing import load_readers
from bot.core.latin_typing import ReadingNLU
from bot.core.nlu_scores import accuracy, macro_f1, oos_recall
from bot.core.ports import NLU as NLUPort
from bot.core.ports import Parse
from bot.core.understanding import Thresholds, interpret
from bot.nlu.client import RasaNLU
from bot.nlu.model import rasa_env
from bot.nlu.prepare import prepare_training_data
from bot.nlu.server import start_process, stop_process, wait_ready
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
NLU = ROOT / "nlu"
OUT = Path(os.environ.get("NLU_EVAL_OUT", ROOT / "var" / "nlu-eval")).resolve()
PORT = int(os.environ.get("NLU_EVAL_PORT", "5605"))
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
DATA = ROOT / "data"
PREPARED = OUT / "data"
BEFORE = OUT / "data-before"
BASELINE = OUT / "baseline"
TARGETS = {"en": 0.93, "bg": 0.90}


@dataclass
class Example:
    text: str
    intent: str
    group: str  # en, bg, bg_latn, ...: the file's name after test_nlu_


@dataclass
class Result:
    name: str
    # Trained on the prepared data and asked with Latin-typed words read (the bot's way).
    reading: bool = True
    # Set when the candidate is measured as it was at a baseline commit (--baseline).
    baseline: str | None = None
    train_seconds: float = 0.0
    model_mb: float = 0.0
    rss_mb: float = 0.0
    latencies: list[float] = field(default_factory=list)
    parses: list[tuple[Example, Parse]] = field(default_factory=list)
    cv_f1: float | None = None
    thresholds: Thresholds | None = None


def load_examples(exclude: Sequence[str] = ()) -> list[Example]:
    """Every held-out example of nlu/tests, except the files whose group (the name after
    test_nlu_) contains one of `exclude`: those files are not even opened, so a set kept for a
    one-off measurement stays unseen while the others are used as development data."""
    examples = []
    for path in sorted((NLU / "tests").glob("test_nlu_*.yml")):
        group = path.stem.removeprefix("test_nlu_")
        if any(part in group for part in exclude):
            continue
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text:
                    # Entity annotations [text](entity) read as the plain text a user types.
                    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
                    examples.append(Example(text, block["intent"], group))
    return examples


def train(config: Path, name: str, data: Path) -> tuple[Path, float]:
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [
            str(RASA),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(data),
            "--out",
            str(OUT),
            "--fixed-model-name",
            name,
        ],
        cwd=NLU,
        env={**rasa_env(), "RASA_MAX_CACHE_SIZE": "0"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return OUT / f"{name}.tar.gz", time.perf_counter() - started


def rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children, in MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            total += int(match.group(1)) if match else 0
    return total / 1024


async def measure(
    result: Result,
    model: Path,
    examples: list[Example],
    port: int,
    reading: Callable[[NLUPort], NLUPort] | None,
) -> None:
    token = "nlu-eval-token"
    process = start_process(
        RASA.parent.parent, model, "127.0.0.1", port, token, OUT / f"{result.name}.log"
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_ready(client, token, process, 300, OUT / f"{result.name}.log")
            rasa = RasaNLU(client, token, timeout=10)
            nlu = reading(rasa) if reading is not None else rasa
            for example in examples[:20]:  # warm-up
                await nlu.parse(example.text)
            for example in examples:
                started = time.perf_counter()
                parse = await nlu.parse(example.text)
                result.latencies.append(time.perf_counter() - started)
                result.parses.append((example, parse))
            result.rss_mb = rss_mb(process.pid)
    finally:
        stop_process(process)


def decide(parses: list[tuple[Example, Parse]], limits: Thresholds) -> list[tuple[str, str]]:
    return [(ex.intent, interpret(parse, limits).topic) for ex, parse in parses]


def tune(parses: list[tuple[Example, Parse]]) -> Thresholds:
    """The confidence threshold and margin that maximise macro F1 on the tuning half while
    keeping out_of_scope recall at 85% or more."""
    best: tuple[tuple[float, float], Thresholds] | None = None
    for confidence in [x / 100 for x in range(10, 81, 5)]:
        for margin in (0.0, 0.05, 0.1, 0.15):
            limits = Thresholds(confidence, margin)
            pairs = decide(parses, limits)
            score = macro_f1(pairs) if oos_recall(pairs) >= 0.85 else -1 + oos_recall(pairs)
            # On a tie, prefer the wider margin: offering two topics beats guessing one.
            key = (round(score, 4), margin)
            if best is None or key > best[0]:
                best = (key, limits)
    assert best is not None
    return best[1]


def cross_validate(config: Path, name: str, data: Path) -> float:
    out = OUT / f"cv-{name}"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [
            str(RASA),
            "test",
            "nlu",
            "--nlu",
            str(data),
            "--config",
            str(config),
            "--cross-validation",
            "--folds",
            "3",
            "--out",
            str(out),
        ],
        cwd=NLU,
        env=rasa_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    report = json.loads((out / "intent_report.json").read_text())
    return float(report["macro avg"]["f1-score"])


def group_table(
    title: str,
    results: list[Result],
    groups: list[str],
    examples: Callable[[Result], list[tuple[Example, Parse]]],
    limits: Callable[[Result], Thresholds],
) -> Table:
    scores = Table(title=title)
    scores.add_column("pipeline")
    for group in [*groups, "all"]:
        scores.add_column(group, justify="right")
    for r in results:
        parses = examples(r)
        cells = []
        for group in [*groups, "all"]:
            chosen = [p for p in parses if group in ("all", p[0].group)]
            pairs = decide(chosen, limits(r))
            cells.append(f"{accuracy(pairs):.3f} / {macro_f1(pairs):.3f} / {oos_recall(pairs):.0%}")
        scores.add_row(label(r), *cells)
    return scores


def report(results: list[Result]) -> None:
    console = Console(width=260)
    groups = sorted({example.group for example, _ in results[0].parses})
    # The thresholds the bot runs with (its settings' defaults), on every held-out example.
    defaults = Settings.model_fields
    served = Thresholds(
        float(defaults["nlu_confidence_threshold"].default),
        float(defaults["nlu_ambiguity_margin"].default),
        float(defaults["nlu_refusal_margin"].default),
    )
    console.print(
        group_table(
            f"Per group, at the bot's thresholds ({served.confidence:.2f} / {served.margin:.2f},"
            f" refusal margin {served.refusal_margin:.3f}),"
            " all held-out examples: accuracy / macro F1 / OOS recall",
            results,
            groups,
            lambda r: r.parses,
            lambda _r: served,
        )
    )
    console.print(
        group_table(
            "Per group, at the thresholds tuned on half A, on half B:"
            " accuracy / macro F1 / OOS recall",
            results,
            groups,
            lambda r: [p for i, p in enumerate(r.parses) if i % 2 == 1],
            lambda r: r.thresholds or served,
        )
    )
    table = Table(title="NLU pipelines on the held-out files (tuned on half A, scored on half B)")
    for column in (
        "pipeline",
        "thresholds",
        "F1 en",
        "F1 bg",
        "F1 bg (Latin)",
        "OOS recall",
        "CV F1",
        "train s",
        "model MB",
        "server MB",
        "parse p50 ms",
        "parse p95 ms",
    ):
        table.add_column(column, justify="right")
    for r in results:
        assert r.thresholds is not None
        half_b = [p for i, p in enumerate(r.parses) if i % 2 == 1]
        by_language: dict[str, list[tuple[Example, Parse]]] = defaultdict(list)
        for example, parse in half_b:
            by_language[example.group].append((example, parse))
        f1 = {lang: macro_f1(decide(items, r.thresholds)) for lang, items in by_language.items()}
        latencies = sorted(r.latencies)
        table.add_row(
            label(r),
            f"{r.thresholds.confidence:.2f} / {r.thresholds.margin:.2f}",
            f"{f1.get('en', 0):.3f}",
            f"{f1.get('bg', 0):.3f}",
            f"{f1.get('bg_latn', 0):.3f}",
            f"{oos_recall(decide(half_b, r.thresholds)):.1%}",
            f"{r.cv_f1:.3f}" if r.cv_f1 is not None else "-",
            f"{r.train_seconds:.0f}",
            f"{r.model_mb:.1f}",
            f"{r.rss_mb:.0f}",
            f"{1000 * latencies[len(latencies) // 2]:.1f}",
            f"{1000 * latencies[int(len(latencies) * 0.95)]:.1f}",
        )
    console.print(table)
    console.print(
        f"held-out examples: {len(results[0].parses)}; targets: macro F1 en >= "
        f"{TARGETS['en']}, bg >= {TARGETS['bg']}, OOS recall >= 85%, p95 < 50 ms"
    )


def label(result: Result) -> str:
    if result.baseline:
        return f"{result.name} ({result.baseline})"
    return result.name if result.reading else f"{result.name} (before)"


def data_at(revision: str, target: Path, path: str = "nlu/data") -> None:
    """`path` (nlu/data) as it was at `revision`, written to `target`."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", revision, path], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(
        ["tar", "-x", "--strip-components=2", "-C", str(target)], input=archive, check=True
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cv", action="store_true", help="add 3-fold cross-validation")
    parser.add_argument("--only", nargs="*", help="candidate names (default: all)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the models already in var/nlu-eval instead of training",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also measure each candidate trained on nlu/data of commit REV, messages as typed",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure each candidate as at commit REV: its config and nlu/data of REV,"
        " Latin-typed examples read as now",
    )
    parser.add_argument(
        "--exclude",
        nargs="*",
        default=[],
        metavar="PART",
        help="leave out (unread) the held-out files whose group contains PART, e.g. fresh2",
    )
    args = parser.parse_args()
    examples = load_examples(args.exclude)
    prepare_training_data(NLU / "data", PREPARED, DATA)
    catalog = load_catalog(DATA, "en")
    readers = load_readers(DATA, catalog.languages)
    results = []
    chosen = [
        config
        for config in sorted((NLU / "configs").glob("*.yml"))
        if not args.only or config.stem in args.only
    ]
    # (config, name, training data, messages read, baseline commit)
    candidates: list[tuple[Path, str, Path, bool, str | None]] = []
    if args.baseline:
        data_at(args.baseline, BASELINE / "source")
        prepare_training_data(BASELINE / "source", BASELINE / "data", DATA)
        data_at(args.baseline, BASELINE / "configs", "nlu/configs")
        for config in chosen:
            old = BASELINE / "configs" / config.name
            if old.exists():
                candidates.append(
                    (old, f"{config.stem}-baseline", BASELINE / "data", True, args.baseline)
                )
    if args.before:
        data_at(args.before, BEFORE)
    for config in chosen:
        candidates.append((config, config.stem, PREPARED, True, None))
        if args.before:
            candidates.append((config, f"{config.stem}-before", BEFORE, False, None))
    for index, (config, name, data, reading, baseline) in enumerate(candidates):
        result = Result(config.stem, reading=reading, baseline=baseline)
        model = OUT / f"{name}.tar.gz"
        if args.reuse and model.exists():
            result.train_seconds = float("nan")  # not measured in this run
        else:
            model, result.train_seconds = train(config, name, data)
        result.model_mb = model.stat().st_size / 2**20

        def read(nlu: NLUPort) -> NLUPort:
            return ReadingNLU(nlu, readers, catalog.languages)

        await measure(result, model, examples, PORT + index, read if reading else None)
        half_a = [p for i, p in enumerate(result.parses) if i % 2 == 0]
        result.thresholds = tune(half_a)
        if args.cv:
            result.cv_f1 = cross_validate(config, name, data)
        results.append(result)
    report(results)


if __name__ == "__main__":
    asyncio.run(main())
