"""How well each way of comparing messages separates copies of a known scam wave from everything
else, on the dev examples (tests/auxil/alert_dev.yml): `python -m bench.alert_matching`.
Then the shipped match() as the bot runs it (reading Latin-typed Bulgarian as before the NLU) on
the dev examples and on a held-out set never tuned on (bench/data/alert_eval.yml): copies
recognised as their own wave, genuine messages matched, with and without the reading.

For every measure: the lowest score of a variant against its own wave's examples (it should be
high), the highest score of an unrelated message or of a variant against another wave's examples
(it should be low), the highest score of one of the bot's own answers (data/answers, which
describe the same scams), and the gap between the lowest copy and the highest of the others.
bot/core/alerts.py uses the measure this chose, with its threshold inside the gap.
"""

from __future__ import annotations

import dataclasses
import functools
import statistics
import time
from collections.abc import Callable, Hashable
from collections.abc import Set as AbstractSet
from pathlib import Path

import yaml
from rapidfuzz import fuzz
from rich.console import Console
from rich.table import Table

from bot.content.catalog import load_catalog
from bot.content.typing import load_readers, strings_in
from bot.core import alerts
from bot.core.latin_typing import read_message
from tests.auxil.alert_dev import DevSet, Wave, load_dev_set

Measure = Callable[[str, str], float]
ROOT = Path(__file__).resolve().parents[1]
EVAL_FILE = ROOT / "bench" / "data" / "alert_eval.yml"
# The message check's evaluation sets, written by others without seeing the rules: their genuine
# messages are more genuine messages no alert may match.
CHECK_SETS = (ROOT / "bench" / "data" / "scam_eval", ROOT / "bench" / "data" / "scam_eval2")


def answer_texts() -> list[str]:
    """The bot's own answers (data/answers): long texts that describe the same scams in the
    same words, the hardest unrelated messages there are."""
    return [
        text
        for path in sorted((ROOT / "data" / "answers").rglob("*.yml"))
        for text in strings_in(yaml.safe_load(path.read_text(encoding="utf-8")))
        if len(text) > 100
    ]


def _shingles(text: str, size: int) -> set[str]:
    return {text[i : i + size] for i in range(max(1, len(text) - size + 1))}


def _word_shingles(text: str, size: int) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def _jaccard(first: AbstractSet[Hashable], second: AbstractSet[Hashable]) -> float:
    return 100.0 * len(first & second) / len(first | second) if first | second else 0.0


def _containment(message: AbstractSet[Hashable], example: AbstractSet[Hashable]) -> float:
    """How much of the example is in the message (a forwarded copy has more around it)."""
    return 100.0 * len(message & example) / len(example) if example else 0.0


# Exact Jaccard on shingles: MinHash only estimates it, and with tens of alerts the exact
# value costs less than the hashing.
MEASURES: dict[str, tuple[bool, Measure]] = {
    "ratio": (True, fuzz.ratio),
    "token_sort_ratio": (True, fuzz.token_sort_ratio),
    "token_set_ratio": (True, fuzz.token_set_ratio),
    "partial_ratio": (True, fuzz.partial_ratio),
    "WRatio": (True, fuzz.WRatio),
    "char 5-shingle Jaccard": (True, lambda a, b: _jaccard(_shingles(a, 5), _shingles(b, 5))),
    "char 5-shingle containment": (
        True,
        lambda a, b: _containment(_shingles(a, 5), _shingles(b, 5)),
    ),
    "word 2-shingle Jaccard": (
        True,
        lambda a, b: _jaccard(_word_shingles(a, 2), _word_shingles(b, 2)),
    ),
    "token_set_ratio, not normalised": (False, fuzz.token_set_ratio),
    "ratio, not normalised": (False, fuzz.ratio),
    "chosen (alerts.similarity)": (True, alerts.similarity),
}


def _prepare(text: str, normalised: bool) -> str:
    return alerts.normalise(text) if normalised else text.casefold()


def separation(dev: DevSet, normalised: bool, measure: Measure) -> tuple[float, float]:
    """(lowest score of a true copy, highest score of anything else)."""
    lowest, highest = 100.0, 0.0
    for wave in dev.waves:
        own = [_prepare(example, normalised) for example in wave.examples]
        others = [
            _prepare(example, normalised)
            for other in dev.waves
            if other is not wave
            for example in other.examples
        ]
        for variant in wave.variants:
            text = _prepare(variant, normalised)
            lowest = min(lowest, max(measure(text, example) for example in own))
            highest = max(highest, max(measure(text, example) for example in others))
    every_example = [
        _prepare(example, normalised) for wave in dev.waves for example in wave.examples
    ]
    for message in dev.unrelated:
        text = _prepare(message, normalised)
        highest = max(highest, max(measure(text, example) for example in every_example))
    return lowest, highest


def highest_answer(dev: DevSet, normalised: bool, measure: Measure, texts: list[str]) -> float:
    every_example = [
        _prepare(example, normalised) for wave in dev.waves for example in wave.examples
    ]
    return max(
        measure(_prepare(text, normalised), example) for text in texts for example in every_example
    )


@dataclasses.dataclass(frozen=True)
class Outcome:
    """With the shipped match(): copies recognised as their own wave (typed in their script,
    and in Latin letters), genuine messages matched (in their script, and in Latin letters),
    each out of how many; the lowest score of a recognised copy, the highest of a genuine one."""

    right: int
    copies: int
    latin_right: int
    latin_copies: int
    wrong: int
    unrelated: int
    latin_wrong: int
    latin_unrelated: int
    lowest_copy: float
    highest_other: float

    def line(self) -> str:
        return (
            f"copies {self.right}/{self.copies}, Latin-typed copies "
            f"{self.latin_right}/{self.latin_copies}; genuine matched {self.wrong}/"
            f"{self.unrelated}, Latin-typed genuine matched {self.latin_wrong}/"
            f"{self.latin_unrelated}; lowest copy {self.lowest_copy:.1f}, highest genuine "
            f"{self.highest_other:.1f}"
        )


def outcome(dev: DevSet, read: alerts.Reading | None = None) -> Outcome:
    index = alerts.AlertIndex(dev.alerts(), read)

    def own(copies: Callable[[Wave], tuple[str, ...]]) -> tuple[int, list[float]]:
        right, scores = 0, []
        for number, wave in enumerate(dev.waves, start=1):
            for copy in copies(wave):
                found = index.best(copy, 0.0)
                score = found[1] if found is not None and found[0].id == number else 0.0
                right += score >= alerts.THRESHOLD
                scores.append(score)
        return right, scores

    def others(messages: tuple[str, ...]) -> tuple[int, list[float]]:
        found = [index.best(message, 0.0) for message in messages]
        scores = [best[1] if best is not None else 0.0 for best in found]
        return sum(score >= alerts.THRESHOLD for score in scores), scores

    right, scores = own(lambda wave: wave.variants)
    latin_right, latin_scores = own(lambda wave: wave.latin)
    wrong, other_scores = others(dev.unrelated)
    latin_wrong, latin_other_scores = others(dev.unrelated_latin)
    return Outcome(
        right,
        sum(len(wave.variants) for wave in dev.waves),
        latin_right,
        sum(len(wave.latin) for wave in dev.waves),
        wrong,
        len(dev.unrelated),
        latin_wrong,
        len(dev.unrelated_latin),
        min(scores + latin_scores),
        max(other_scores + latin_other_scores),
    )


def genuine_of_check_sets() -> list[str]:
    """The genuine messages of the message check's evaluation sets, both languages."""
    return [
        str(message["text"])
        for folder in CHECK_SETS
        for path in sorted(folder.glob("*.yml"))
        for message in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
        if message.get("label") == "genuine"
    ]


def timing(
    dev: DevSet, texts: list[str], copies: int = 4, read: alerts.Reading | None = None
) -> tuple[int, float, float]:
    """Milliseconds per match (median, p95) against `copies` times the dev alerts, over the dev
    messages and the answer texts (up to 3,000 characters each are compared)."""
    index = alerts.AlertIndex(
        [
            dataclasses.replace(alert, id=alert.id + 100 * n)
            for n in range(copies)
            for alert in dev.alerts()
        ],
        read,
    )
    messages = (
        [v for wave in dev.waves for v in wave.variants + wave.latin]
        + list(dev.unrelated + dev.unrelated_latin)
        + texts
    )
    spent = []
    for message in messages:
        start = time.perf_counter()
        index.match(message, "en")
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    return len(index), statistics.median(spent), spent[int(len(spent) * 0.95)]


def main() -> None:
    dev = load_dev_set()
    table = Table(title="Scam-alert matching on the dev examples (0-100)")
    for column in ("measure", "lowest copy", "highest other", "highest answer text", "gap"):
        table.add_column(column, justify="right")
    texts = answer_texts()
    for name, (normalised, measure) in MEASURES.items():
        lowest, highest = separation(dev, normalised, measure)
        answer = highest_answer(dev, normalised, measure, texts)
        gap = lowest - max(highest, answer)
        table.add_row(name, f"{lowest:.1f}", f"{highest:.1f}", f"{answer:.1f}", f"{gap:+.1f}")
    console = Console(width=120)
    console.print(table)
    catalog = load_catalog(ROOT / "data", "en")
    readers = load_readers(ROOT / "data", catalog.languages)
    read = functools.partial(read_message, languages=catalog.languages, readers=readers)
    held_out = load_dev_set(EVAL_FILE)
    for name, examples in (("dev", dev), ("held-out", held_out)):
        for how, reading in (("as typed", None), ("read as the bot reads", read)):
            result = outcome(examples, reading)
            console.print(f"match() at {alerts.THRESHOLD}, {name} set, {how}: {result.line()}")
    for name, examples in (("dev", dev), ("held-out", held_out)):
        index = alerts.AlertIndex(examples.alerts(), read)
        wrong_answers = sum(1 for text in texts if index.match(text, "en"))
        console.print(
            f"{wrong_answers}/{len(texts)} of the bot's own answer texts matched a {name} alert"
        )
    both = alerts.AlertIndex(
        [
            *dev.alerts(),
            *(dataclasses.replace(alert, id=alert.id + 100) for alert in held_out.alerts()),
        ],
        read,
    )
    genuine = genuine_of_check_sets()
    matched = [text for text in genuine if both.match(text, "en")]
    console.print(
        f"{len(matched)}/{len(genuine)} genuine messages of the message check's evaluation sets "
        f"matched one of the {len(both)} dev and held-out alerts"
    )
    for how, reading in (("as typed", None), ("read as the bot reads", read)):
        size, median, p95 = timing(dev, texts, read=reading)
        console.print(
            f"match() against {size} published alerts, {how}: median {median:.2f} ms, "
            f"p95 {p95:.2f} ms per message ({len(texts)} answer texts and the dev messages)"
        )


if __name__ == "__main__":
    main()
