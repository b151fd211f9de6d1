"""Scoring the NLU's decisions on held-out examples (pure): accuracy, macro-F1, out_of_scope
recall and the confusion pairs, per language; and the rule that decides whether a candidate
model may replace the running one (issue 18). bench/nlu_eval.py scores with the same functions."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.ports import Parse
from bot.core.understanding import OUT_OF_SCOPE, Thresholds, interpret

# (gold intent, the bot's decision) for one example.
Pair = tuple[str, str]


def decision(parse: Parse, limits: Thresholds) -> str:
    return interpret(parse, limits).topic


def accuracy(pairs: Sequence[Pair]) -> float:
    return sum(1 for g, p in pairs if g == p) / len(pairs) if pairs else 0.0


def macro_f1(pairs: Sequence[Pair]) -> float:
    labels = {gold for gold, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0)
    return statistics.mean(scores) if scores else 0.0


def oos_recall(pairs: Sequence[Pair]) -> float:
    oos = [(g, p) for g, p in pairs if g == OUT_OF_SCOPE]
    return sum(1 for _, p in oos if p == OUT_OF_SCOPE) / len(oos) if oos else 1.0


def confusions(pairs: Iterable[Pair]) -> Counter[Pair]:
    return Counter((g, p) for g, p in pairs if g != p)


@dataclass(frozen=True, slots=True)
class Scores:
    examples: int
    accuracy: float
    macro_f1: float
    oos_recall: float

    @classmethod
    def of(cls, pairs: Sequence[Pair]) -> Scores:
        return cls(len(pairs), accuracy(pairs), macro_f1(pairs), oos_recall(pairs))


@dataclass(frozen=True, slots=True)
class Worse:
    language: str
    metric: str
    running: float
    candidate: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """The running model and a candidate on the same held-out examples, per language."""

    running: Mapping[str, Scores]
    candidate: Mapping[str, Scores]
    # (gold, predicted) -> (count with the running model, count with the candidate), changed only
    changed_confusions: Mapping[str, Mapping[Pair, tuple[int, int]]]
    tolerance: float
    worse: tuple[Worse, ...]

    @property
    def acceptable(self) -> bool:
        return not self.worse

    def as_json(self) -> dict[str, Any]:
        def scores(of: Mapping[str, Scores]) -> dict[str, Any]:
            return {
                lang: {
                    "examples": s.examples,
                    "accuracy": round(s.accuracy, 4),
                    "macro_f1": round(s.macro_f1, 4),
                    "oos_recall": round(s.oos_recall, 4),
                }
                for lang, s in of.items()
            }

        return {
            "running": scores(self.running),
            "candidate": scores(self.candidate),
            "tolerance": self.tolerance,
            "acceptable": self.acceptable,
            "worse": [
                {
                    "language": w.language,
                    "metric": w.metric,
                    "running": round(w.running, 4),
                    "candidate": round(w.candidate, 4),
                }
                for w in self.worse
            ],
            "changed_confusions": {
                lang: [
                    {"gold": g, "predicted": p, "running": a, "candidate": b}
                    for (g, p), (a, b) in sorted(
                        pairs.items(), key=lambda kv: -abs(kv[1][1] - kv[1][0])
                    )
                ]
                for lang, pairs in self.changed_confusions.items()
            },
        }


METRICS = ("accuracy", "macro_f1", "oos_recall")


def compare(
    running: Mapping[str, Sequence[Pair]],
    candidate: Mapping[str, Sequence[Pair]],
    tolerance: float,
) -> Comparison:
    """Per language: a metric lower by more than `tolerance` makes the candidate worse."""
    before = {lang: Scores.of(pairs) for lang, pairs in running.items()}
    after = {lang: Scores.of(pairs) for lang, pairs in candidate.items()}
    worse = []
    changed: dict[str, dict[Pair, tuple[int, int]]] = {}
    for lang in sorted(before):
        for metric in METRICS:
            a, b = getattr(before[lang], metric), getattr(after[lang], metric)
            if b < a - tolerance - 1e-9:
                worse.append(Worse(lang, metric, a, b))
        was, now = confusions(running[lang]), confusions(candidate[lang])
        moved = {
            pair: (was[pair], now[pair]) for pair in set(was) | set(now) if was[pair] != now[pair]
        }
        if moved:
            changed[lang] = moved
    return Comparison(before, after, changed, tolerance, tuple(worse))
