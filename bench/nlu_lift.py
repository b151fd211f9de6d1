"""`python -m bench.nlu_lift`: how much a batch of reviewed messages lifts the held-out scores
(issue 18). bench/data/nlu_lift/<lang>.yml hold realistic messages of the kind users send
(`train`: what organisers would label in the review queue; `test`: held out, never trained on).
The model service's own lab (bot/nlu/lab.py) trains the repository's data alone and with the
labelled batch (timed; a model whose inputs were trained before under --work is reused), then
parses the repository's held-out sets plus the batch's held-out messages with each model (a
Rasa server of its own, messages read the way the bot reads them) and scores the bot's
decisions per language with bot/core/nlu_scores.py, as the dashboard's comparison does."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from bot.bootstrap import reading_nlu, thresholds
from bot.content.catalog import load_catalog
from bot.core.nlu_models import HeldOut
from bot.core.nlu_review import LabelledExample
from bot.core.nlu_scores import Pair, Scores, decision
from bot.core.ports import Parse
from bot.nlu.lab import RasaLab
from bot.nlu.model import ModelPaths
from bot.settings import Settings

BATCH = Path("bench/data/nlu_lift")


class NoRunningServer:
    """The lab's running model is not used here: both models get servers of their own."""

    async def parse(self, text: str) -> Parse:
        raise RuntimeError("not used")


def batch(languages: list[str]) -> tuple[list[LabelledExample], list[LabelledExample]]:
    train, test = [], []
    for lang in languages:
        data = yaml.safe_load((BATCH / f"{lang}.yml").read_text(encoding="utf-8"))
        train += [LabelledExample(e["text"], lang, e["intent"], False) for e in data["train"]]
        test += [LabelledExample(e["text"], lang, e["intent"], True) for e in data["test"]]
    return train, test


async def main(work: Path) -> None:
    settings = Settings()
    catalog = load_catalog(settings.data_dir, settings.default_language)
    languages = list(catalog.languages)
    lab = RasaLab(
        ModelPaths(settings.nlu_dir, settings.data_dir),
        work,
        settings.rasa_venv,
        languages,
        NoRunningServer(),
        lambda nlu: reading_nlu(settings, catalog, nlu),
    )
    train, test = batch(languages)
    console = Console()

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
    for name, model in (("before", base.path), ("after", with_batch.path)):
        parses = await lab.parse_with(model, texts, progress)
        results[name] = [decision(p, limits) for p in parses]
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


def _pair(example: HeldOut, predicted: str) -> Pair:
    return (example.intent, predicted)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("var/nlu-lift"))
    asyncio.run(main(parser.parse_args().work))
