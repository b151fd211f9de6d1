"""The learned scorer's settings chosen by leaving one evaluation set out (issue 16, round 9).

Since round 9 the learned scorer (bot/core/scam/learned.py) is trained on the dev examples of
tests/scam_dev/ and on the retired evaluation sets (bench.scam_quality.RETIRED: scam_eval to
scam_eval5). Their figures in `python -m bench.scam_quality` are then in-sample. Here each retired
set is scored by a scorer trained on the dev examples and the other retired sets only (the real
verdict path: rules, link checker and learned scorer, as `bench.scam_quality` runs it), and the
two later sets (bench.scam_quality.DEV_CHECKS: scam_eval6, scam_eval7, never trained on) by one
trained on the dev examples and every retired set. The rules themselves were tuned on the
retired sets after each judged its round, so the figures on those are honest for the learned
scorer only; scam_eval6 and scam_eval7 are the dev check of the whole. No other set is read.

Run: `python -m bench.scam_loso` (the shipped settings: learned.SETTINGS and the `learned:` line
of data/scam/<lang>.yml); `--before` (round 8's: C 200, character 2-5-grams, weight 10, offset
0.52, flag 0.9, neutral 0.4, no `alone`); `--sweep` (a grid of settings, one summary line each:
the worst and mean recall and the worst share of genuine messages called "likely scam" over the
left-out sets, per language). Recall counts "likely scam" or "suspicious" (the reply warns in
both). Takes minutes: each fold trains a scorer per language."""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.scam_dev import ROOT, examples, retired_examples
from bench.scam_quality import DEV_CHECKS, RETIRED, SETS, LanguageQuality, _messages
from bot.content.catalog import load_catalog
from bot.content.domains import split_domain
from bot.content.models import LearnedWeight
from bot.content.typing import load_readers
from bot.core.scam.learned import SETTINGS, LearnedScorer, Settings
from bot.services.scamcheck import ScamCheckService

LANGUAGES = ("bg", "en")
# Round 8's settings (commit 8ccbc76), for the "before" table.
BEFORE_SETTINGS = Settings(c=200.0, chars=(2, 5), words=None)
BEFORE_WEIGHT = LearnedWeight(weight=10, offset=0.52, flag=0.9, neutral=0.4)


@dataclass(frozen=True)
class Fold:
    left_out: str  # the set scored
    trained_on: tuple[str, ...]  # the retired sets the scorer learns from (with the dev examples)


def folds() -> list[Fold]:
    out = [Fold(name, tuple(n for n in RETIRED if n != name)) for name in RETIRED]
    out += [Fold(name, RETIRED) for name in DEV_CHECKS]
    return out


def training(trained_on: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
    """The scorer's examples per language: every dev example, then the named retired sets' messages,
    each text once (what `bench.scam_dev --export` writes, with these sets)."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    seen: set[tuple[str, str]] = set()
    for example in (*examples(), *retired_examples(trained_on)):
        scams, genuine = out.setdefault(example.language, ([], []))
        if (example.language, example.text) in seen:
            continue
        seen.add((example.language, example.text))
        (scams if example.label == "scam" else genuine).append(example.text)
    return out


class _Remembered:
    """A learned scorer whose probabilities are kept per text: a fold's messages are scored
    once however many weights are tried."""

    def __init__(self, scorer: LearnedScorer) -> None:
        self.scorer = scorer
        self.known: dict[str, float] = {}

    def probability(self, text: str) -> float:
        found = self.known.get(text)
        if found is None:
            found = self.known[text] = self.scorer.probability(text)
        return found

    def telling_words(self, text: str, count: int = 3) -> tuple[str, ...]:
        return self.scorer.telling_words(text, count)


def _remembering(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` of a text (and what the text alone decides), computed once per text."""
    known: dict[str, Any] = {}

    def remembered(text: str, *rest: Any) -> Any:
        if text not in known:
            known[text] = function(text, *rest)
        return known[text]

    return remembered


class Bench:
    def __init__(self) -> None:
        self.catalog = load_catalog(ROOT / "data", "en")
        readers = load_readers(ROOT / "data", self.catalog.languages)
        self.service = ScamCheckService(self.catalog, split_domain, readers=readers)
        # What depends on the text only (the rules, the link checker, a Latin reading) is
        # computed once per text; the learned scorer's part is what the folds change.
        checker: Any = self.service.checker
        checker.check = _remembering_link(checker.check)
        for engine in self.service.engines.values():
            engine.found = _remembering(engine.found)  # type: ignore[method-assign]
        for reader in self.service.readers.values():
            reader.read = _remembering(reader.read)  # type: ignore[method-assign]
        self.messages = {
            (name, language): _messages(language, SETS[name])
            for name in (*RETIRED, *DEV_CHECKS)
            for language in LANGUAGES
        }
        self.train_seconds: dict[str, list[float]] = {language: [] for language in LANGUAGES}
        self.found_language = _remembering(self.service.language_of)

    def train(self, fold: Fold, settings: Settings) -> None:
        for language, (scams, genuine) in training(fold.trained_on).items():
            started = time.perf_counter()
            scorer = LearnedScorer(scams, genuine, None, settings)
            self.train_seconds[language].append(time.perf_counter() - started)
            engine: Any = self.service.engines[language]
            engine._scorer = _Remembered(scorer)

    def weigh(self, weights: dict[str, LearnedWeight]) -> None:
        for language, engine in self.service.engines.items():
            engine.rules = engine.rules.model_copy(update={"learned": weights[language]})

    def score(self, fold: Fold) -> dict[str, LanguageQuality]:
        rows: dict[str, LanguageQuality] = {}
        for language in LANGUAGES:
            row = rows[language] = LanguageQuality(language)
            for message in self.messages[(fold.left_out, language)]:
                text = str(message["text"])
                # What `check` gives without an alert lookup (none here).
                verdict = self.service.assess(text, self.found_language(text, language))
                row.count(str(message["id"]), message["label"] == "scam", verdict.verdict)
        return rows


def _remembering_link(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    known: dict[Any, Any] = {}

    def remembered(link: Any) -> Any:
        if link not in known:
            known[link] = function(link)
        return known[link]

    return remembered


def shipped_weights(bench: Bench) -> dict[str, LearnedWeight]:
    out = {}
    for language, rules in bench.catalog.scam.items():
        assert rules.learned is not None
        out[language] = rules.learned
    return out


def table(bench: Bench, settings: Settings, weights: dict[str, LearnedWeight]) -> None:
    bench.weigh(weights)
    learned = "; ".join(
        f"{lang} {w.model_dump(exclude_none=True)}" for lang, w in sorted(weights.items())
    )
    print(f"settings: {settings}; learned: {learned}")
    print("left out    trained on retired      lang scams genuine  recall(flagged) "
          "recall(likely)  genuine likely  genuine flagged")  # fmt: skip
    for fold in folds():
        bench.train(fold, settings)
        rows = bench.score(fold)
        for language, row in rows.items():
            trained = "all" if fold.trained_on == RETIRED else f"all but {fold.left_out}"
            print(
                f"{fold.left_out:11} {trained:23} {language:4} {row.scams:5} {row.genuine:7} "
                f"{row.recall_flagged:16.3f} {row.recall_likely:14.3f} "
                f"{100 * row.genuine_likely_share:14.1f}% {100 * row.genuine_flagged_share:15.1f}%"
            )
    for language, seconds in bench.train_seconds.items():
        print(f"training {language}: {len(seconds)} fits, mean {sum(seconds) / len(seconds):.1f} s")


MODELS = (
    SETTINGS,
    BEFORE_SETTINGS,
    Settings(c=50.0),
    Settings(c=1000.0),
    Settings(c=200.0, chars=(1, 5)),
    Settings(c=200.0, chars=(2, 6)),
    Settings(c=200.0, words=(1, 2)),
    Settings(c=50.0, words=(1, 2)),
    Settings(c=20.0),
    Settings(c=500.0, words=(1, 2)),
    Settings(c=200.0, words=(1, 3)),
)


ALONE = (None, 0.3, 0.4, 0.45, 0.5, 0.55)


def weight_grid(alones: Sequence[float | None] = ALONE) -> Iterable[LearnedWeight]:
    # Round 9's second sweep (the first tried weight 15, offset 0.6, flag 0.8 and `alone` 0.6-0.8
    # too: none of them better on every language).
    for weight, offset, flag, alone in itertools.product(
        (10.0,), (0.45, 0.52), (0.9, 0.95), alones
    ):
        if alone is not None and alone >= flag:
            continue
        yield LearnedWeight(weight=weight, offset=offset, flag=flag, neutral=0.4, alone=alone)


def sweep(bench: Bench, models: Sequence[Settings], alones: Sequence[float | None]) -> None:
    grid = list(weight_grid(alones))
    print("settings | learned weight | per language: worst recall(flagged), mean, worst genuine "
          "likely, mean, worst genuine flagged, mean (over the 7 left-out sets)")  # fmt: skip
    for settings in dict.fromkeys(models):
        results: dict[LearnedWeight, list[dict[str, LanguageQuality]]] = {w: [] for w in grid}
        for fold in folds():
            bench.train(fold, settings)
            for weight in grid:
                bench.weigh(dict.fromkeys(LANGUAGES, weight))
                results[weight].append(bench.score(fold))
        for weight, per_fold in results.items():
            parts = []
            for language in LANGUAGES:
                recalls = [rows[language].recall_flagged for rows in per_fold]
                likely = [rows[language].genuine_likely_share for rows in per_fold]
                flagged = [rows[language].genuine_flagged_share for rows in per_fold]
                parts.append(
                    f"{language} {min(recalls):.3f} {sum(recalls) / len(recalls):.3f} "
                    f"{100 * max(likely):4.1f}% {100 * sum(likely) / len(likely):4.1f}% "
                    f"{100 * max(flagged):4.1f}% {100 * sum(flagged) / len(flagged):4.1f}%"
                )
            described = weight.model_dump(exclude_none=True)
            print(f"{settings} | {described} | " + " | ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scam_loso", description=__doc__)
    parser.add_argument("--before", action="store_true", help="round 8's settings")
    parser.add_argument("--sweep", action="store_true", help="a grid of settings")
    parser.add_argument(
        "--models", type=int, nargs="*", help="with --sweep: which of MODELS (indexes)"
    )
    parser.add_argument(
        "--alone", type=float, nargs="*", help="with --sweep: the `alone` values tried"
    )
    args = parser.parse_args()
    bench = Bench()
    if args.sweep:
        chosen = MODELS if args.models is None else [MODELS[i] for i in args.models]
        sweep(bench, chosen, ALONE if args.alone is None else args.alone)
    elif args.before:
        table(bench, BEFORE_SETTINGS, dict.fromkeys(LANGUAGES, BEFORE_WEIGHT))
    else:
        table(bench, SETTINGS, shipped_weights(bench))


if __name__ == "__main__":
    main()
