"""`python -m bench.nlu_lift`: how much a batch of reviewed messages lifts the held-out scores
(issue 18). bench/data/nlu_lift/<lang>.yml hold realistic messages of the kind users send
(`train`: what organisers would label in the review queue; `test`: held out, never trained on).
The model service's own lab (bot/nlu/lab.py) trains the repository's data alone and with the
labelled batch (timed; a model whose inputs were trained before under --work is reused), then
parses the repository's held-out sets plus the batch's held-out messages with each model (a
Rasa server of its own, messages read the way the bot reads them) and scores the bot's
decisions per language with bot/core/nlu_scores.py, as the dashboard's comparison does.
--batch bench/data/nlu_wave measures a new wave of one kind of message instead (160 held-out
messages per language).

With --over-http it trains and scores as docker compose does (RasaServerLab): through the HTTP
API of a Rasa server of its own (started here on loopback from .venv-rasa with the shipped
model, a token of its own), POST /model/train for each model and PUT /model before scoring."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from bot.bootstrap import reading_nlu, thresholds
from bot.content.catalog import load_catalog
from bot.core.nlu_models import HeldOut
from bot.core.nlu_review import LabelledExample
from bot.core.nlu_scores import Pair, Scores, decision
from bot.core.ports import NLU, Parse
from bot.nlu.lab import RasaLab, RasaServerLab, free_port
from bot.nlu.model import ModelPaths
from bot.nlu.server import rasa_server
from bot.settings import Settings

BATCH = Path("bench/data/nlu_lift")


class NoRunningServer:
    """The lab's running model is not used here: both models get servers of their own."""

    async def parse(self, text: str) -> Parse:
        raise RuntimeError("not used")


def batch(
    languages: list[str], directory: Path = BATCH
) -> tuple[list[LabelledExample], list[LabelledExample]]:
    train, test = [], []
    for lang in languages:
        data = yaml.safe_load((directory / f"{lang}.yml").read_text(encoding="utf-8"))
        train += [LabelledExample(e["text"], lang, e["intent"], False) for e in data["train"]]
        test += [LabelledExample(e["text"], lang, e["intent"], True) for e in data["test"]]
    return train, test


@contextlib.asynccontextmanager
async def trainer(settings: Settings, console: Console) -> AsyncIterator[tuple[str, str]]:
    """A Rasa server on loopback as compose's rasa-trainer: its URL and token."""
    url, token = f"http://127.0.0.1:{free_port()}", secrets.token_urlsafe(24)
    shipped = ModelPaths(settings.nlu_dir, settings.data_dir).model
    started = time.perf_counter()
    log = Path("var/nlu-lift-trainer.log")
    async with rasa_server(url, token, settings.rasa_venv, shipped, 600, log) as served:
        console.print(f"trainer ready in {time.perf_counter() - started:.0f} s")
        yield url, served


async def main(work: Path, over_http: bool, directory: Path) -> None:
    settings = Settings()
    catalog = load_catalog(settings.data_dir, settings.default_language)
    languages = list(catalog.languages)
    console = Console()
    async with contextlib.AsyncExitStack() as stack:
        paths = ModelPaths(settings.nlu_dir, settings.data_dir)

        def reading(nlu: NLU) -> NLU:
            return reading_nlu(settings, catalog, nlu)

        lab: RasaLab | RasaServerLab
        if over_http:
            url, token = await stack.enter_async_context(trainer(settings, console))
            lab = RasaServerLab(paths, work, languages, NoRunningServer(), reading, url, token)
        else:
            lab = RasaLab(paths, work, settings.rasa_venv, languages, NoRunningServer(), reading)
        await measure(lab, settings, batch(languages, directory), console)


async def measure(
    lab: RasaLab | RasaServerLab,
    settings: Settings,
    examples: tuple[list[LabelledExample], list[LabelledExample]],
    console: Console,
) -> None:
    train, test = examples

    def progress(line: str) -> None:
        pass

    started = time.perf_counter()
    base = await lab.train([], progress)
    console.print(f"repository data alone: {base.seconds:.0f} s training (0: reused)")
    with_batch = await lab.train(train, progress)
    console.print(
        f"with {len(train)} labelled messages: {with_batch.seconds:.0f} s training"
        f" ({time.perf_counter() - started:.0f} s for both)"
    )
    held = lab.held_out(test)
    new = {(e.language, e.text) for e in test}
    texts = [h.text for h in held]
    limits = thresholds(settings)
    results: dict[str, list[str]] = {}
    started = time.perf_counter()
    for name, model in (("before", base.path), ("after", with_batch.path)):
        parses = await lab.parse_with(model, texts, progress)
        results[name] = [decision(p, limits) for p in parses]
    console.print(
        f"scoring both models on {len(texts)} held-out messages:"
        f" {time.perf_counter() - started:.0f} s"
    )
    table = Table(title="held-out scores before → after the labelled batch")
    for column in ("language", "held-out set", "n", "accuracy", "macro-F1", "oos recall"):
        table.add_column(column)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, example in enumerate(held):
        which = "batch's held-out" if (example.language, example.text) in new else "repository's"
        groups[(example.language, which)].append(index)
        groups[(example.language, "all")].append(index)
    for (lang, which), indexes in sorted(groups.items()):
        scores = {
            name: Scores.of([_pair(held[i], results[name][i]) for i in indexes]) for name in results
        }
        a, b = scores["before"], scores["after"]
        table.add_row(
            lang,
            which,
            str(len(indexes)),
            f"{a.accuracy:.3f} → {b.accuracy:.3f}",
            f"{a.macro_f1:.3f} → {b.macro_f1:.3f}",
            f"{a.oos_recall:.3f} → {b.oos_recall:.3f}",
        )
    console.print(table)
    # The batch's held-out messages by the topic they should get: the new kind of message, and
    # the neighbours that must not move (right before → right after).
    by_topic = Table(title="the batch's held-out messages understood, by expected topic")
    for column in ("language", "expected", "n", "before", "after"):
        by_topic.add_column(column)
    topics: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, example in enumerate(held):
        if (example.language, example.text) in new:
            topics[(example.language, example.intent)].append(index)
    for (lang, intent), indexes in sorted(topics.items()):
        right = {name: sum(results[name][i] == held[i].intent for i in indexes) for name in results}
        by_topic.add_row(lang, intent, str(len(indexes)), str(right["before"]), str(right["after"]))
    console.print(by_topic)


def _pair(example: HeldOut, predicted: str) -> Pair:
    return (example.intent, predicted)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("var/nlu-lift"))
    parser.add_argument(
        "--batch",
        type=Path,
        default=BATCH,
        help="a directory of <lang>.yml with `train` and `test` (bench/data/nlu_wave: a new wave)",
    )
    parser.add_argument(
        "--over-http", action="store_true", help="train and score through a Rasa server's HTTP API"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.work, arguments.over_http, arguments.batch))
