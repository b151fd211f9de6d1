"""Fast cross-validation of the logreg pipeline's settings on the training data (issue 19).

Rasa's own `rasa test nlu --cross-validation` takes minutes a setting; this replays the chosen
pipeline in scikit-learn alone (word counts and char_wb n-gram counts over the tokens as Rasa's
WhitespaceTokenizer and CountVectorsFeaturizer produce them, logistic regression with balanced
class weights as Rasa's LogisticRegressionClassifier fits it), so settings can be compared on
the same folds. It is a replica for ranking settings, not the shipped model: the held-out
figures come from `bench.nlu_eval` with real Rasa.

Only nlu/data is read, never nlu/tests. Latin-typed examples are trained typed and read (as
`ecsm-bot nlu train` does) and tested read (as the bot asks the NLU); both stay in one fold.
With --test-only-from DIR, only the examples also in DIR are scored and the others are added
to every training fold: new training data is then judged on the same examples as before.

    .venv/bin/python -m bench.nlu_cv --char-min-df 2
    .venv/bin/python -m bench.nlu_cv --char-min-df 2 --word-min-df 2 --counts sqrt --c 3
    .venv/bin/python -m bench.nlu_cv --test-only-from /tmp/old-nlu-data
    .venv/bin/python -m bench.nlu_cv --thresholds 0.30/0.05 --refusal-margins 0 0.1 \
        --tune-refusal 0 0.025 0.05 0.075 0.1 0.125 0.15 0.2

Every decision is the bot's own (`bot.core.understanding.interpret`), at the thresholds given
(the bot's refusal margin by default, `NLU_REFUSAL_MARGIN`).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import FeatureUnion

from bot.content.typing import load_readers
from bot.core.nlu_scores import Pair, accuracy, macro_f1, oos_recall
from bot.core.ports import IntentScore, Parse
from bot.core.understanding import OUT_OF_SCOPE, Thresholds, interpret
from bot.nlu.prepare import read_example
from bot.settings import Settings as BotSettings

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")
TOKEN = re.compile(r"\w+(?:['’\-]\w+)*")
LONG = 20  # words: a story with the question at the end


@dataclass(frozen=True)
class Row:
    train: tuple[str, ...]  # as typed, and read when typed in Latin letters
    test: str  # what the NLU is asked
    intent: str
    variant: str  # en, bg, bg_latn
    source: str  # file name without .yml


def load(data: Path) -> list[Row]:
    reader = load_readers(ROOT / "data", {"en", "bg"})["bg"]
    rows = []
    for path in sorted(data.glob("*.yml")):
        variant = "bg_latn" if path.stem.endswith("bg_latn") else path.stem.rsplit("_", 1)[-1]
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                if not line.strip().startswith("- "):
                    continue
                raw = line.strip()[2:].strip()
                typed = ANNOTATION.sub(r"\1", raw)
                texts = [typed]
                if variant == "bg_latn":
                    read = ANNOTATION.sub(r"\1", read_example(raw, reader))
                    texts += [read] if read != typed else []
                rows.append(Row(tuple(texts), texts[-1], block["intent"], variant, path.stem))
    return rows


def tokens(text: str) -> str:
    """The text as Rasa's featurizers see it: word tokens, digits as __NUMBER__, lower case."""
    return " ".join(
        re.sub(r"^[0-9]+$", "__NUMBER__", token).lower() for token in TOKEN.findall(text)
    )


@dataclass(frozen=True)
class Settings:
    word_max_ngram: int
    char_min_ngram: int
    char_max_ngram: int
    char_min_df: int
    max_iter: int
    word_min_df: int = 1
    # As nlu/ecsm_components.TunedLogisticRegressionClassifier: "sqrt" square-roots each count.
    counts: str = "raw"
    c: float = 1.0


def transformed(features: csr_matrix, settings: Settings) -> csr_matrix:
    """The counts as the classifier sees them (`counts: sqrt` in the served config)."""
    if settings.counts == "raw":
        return features
    features = csr_matrix(features, dtype=np.float64, copy=True)
    features.data = np.sqrt(features.data)
    return features


def classifier(settings: Settings) -> LogisticRegression:
    """The served classifier's replica (its C and iterations; scikit-learn's default tolerance,
    see docs/nlu.md's sixth pass), unfitted."""
    return LogisticRegression(
        class_weight="balanced",
        C=settings.c,
        max_iter=settings.max_iter,
        tol=1e-4,
        random_state=42,
    )


def vectorizer(settings: Settings) -> FeatureUnion:
    word = CountVectorizer(
        token_pattern=r"(?u)\b\w+\b",
        ngram_range=(1, settings.word_max_ngram),
        min_df=settings.word_min_df,
    )
    char = CountVectorizer(
        analyzer="char_wb",
        ngram_range=(settings.char_min_ngram, settings.char_max_ngram),
        min_df=settings.char_min_df,
    )
    return FeatureUnion([("word", word), ("char", char)])


@dataclass(frozen=True)
class Scored:
    row: Row
    parse: Parse


def cross_validate(
    rows: list[Row], extra: list[Row], settings: Settings, folds: int
) -> tuple[list[Scored], float]:
    """Every row scored by a model trained on the other folds (and `extra`); the mean size of
    the feature vocabulary."""
    labels = np.array([row.intent for row in rows])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    scored, sizes = [], []
    for train_at, test_at in splitter.split(np.zeros(len(rows)), labels, np.arange(len(rows))):
        training = [rows[i] for i in train_at] + extra
        texts = [tokens(text) for row in training for text in row.train]
        intents = [row.intent for row in training for _ in row.train]
        features_of = vectorizer(settings)
        features = transformed(features_of.fit_transform(texts), settings)
        sizes.append(features.shape[1])
        model = classifier(settings)
        model.fit(features, intents)
        asked = [tokens(rows[i].test) for i in test_at]
        probabilities = model.predict_proba(transformed(features_of.transform(asked), settings))
        for i, row_probabilities in zip(test_at, probabilities, strict=True):
            best = np.argsort(-row_probabilities)[:10]
            ranking = tuple(
                IntentScore(str(model.classes_[j]), float(row_probabilities[j])) for j in best
            )
            scored.append(Scored(rows[i], Parse(ranking)))
    return scored, float(np.mean(sizes))


GROUPS: dict[str, Callable[[Row], bool]] = {
    "all": lambda _row: True,
    "en": lambda row: row.variant == "en",
    "bg": lambda row: row.variant == "bg",
    "bg_latn": lambda row: row.variant == "bg_latn",
    "near misses": lambda row: row.source.startswith("near_miss"),
    "out_of_scope": lambda row: row.intent == OUT_OF_SCOPE,
    "real questions": lambda row: row.intent != OUT_OF_SCOPE,
    f"real, {LONG}+ words": lambda row: (
        row.intent != OUT_OF_SCOPE and len(row.test.split()) >= LONG
    ),
}


def report(scored: Iterable[Scored], limits: Thresholds) -> None:
    decided = [(s.row, interpret(s.parse, limits).topic) for s in scored]
    print(
        f"-- thresholds {limits.confidence:.2f} / {limits.margin:.2f},"
        f" refusal margin {limits.refusal_margin:.3f}"
    )
    for name, member in GROUPS.items():
        pairs: list[Pair] = [(row.intent, topic) for row, topic in decided if member(row)]
        print(
            f"{name:18s} n={len(pairs):5d}  accuracy {accuracy(pairs):.3f}"
            f"  macro F1 {macro_f1(pairs):.3f}  OOS recall {oos_recall(pairs):.3f}"
        )


def tuned_refusal_margin(scored: list[Scored], limits: Thresholds, grid: list[float]) -> float:
    """The refusal margin of `grid` with the best accuracy on `scored` (ties: the smaller)."""

    def accuracy_at(margin: float) -> float:
        at = replace(limits, refusal_margin=margin)
        return accuracy([(s.row.intent, interpret(s.parse, at).topic) for s in scored])

    return max(sorted(grid), key=accuracy_at)


def nested(scored: list[Scored], limits: Thresholds, grid: list[float]) -> None:
    """The refusal margin tuned on one half of the cross-validated examples and scored on the
    other, both ways round: an estimate of what tuning it is worth that does not grade the
    tuning on its own examples."""
    halves = (scored[0::2], scored[1::2])
    for tuned_on, scored_on in (halves, halves[::-1]):
        chosen = tuned_refusal_margin(tuned_on, limits, grid)
        print(f"== refusal margin tuned on one half: {chosen:.3f}; the other half, off then on")
        report(scored_on, replace(limits, refusal_margin=0.0))
        report(scored_on, replace(limits, refusal_margin=chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "nlu" / "data")
    parser.add_argument("--test-only-from", type=Path, default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--word-max-ngram", type=int, default=1)
    parser.add_argument("--char-min-ngram", type=int, default=2)
    parser.add_argument("--char-max-ngram", type=int, default=5)
    parser.add_argument("--char-min-df", type=int, default=1)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--word-min-df", type=int, default=1)
    parser.add_argument("--counts", choices=["raw", "sqrt"], default="raw")
    parser.add_argument("--c", type=float, default=1.0, help="the classifier's C")
    parser.add_argument(
        "--thresholds",
        nargs="*",
        default=["0.30/0.05", "0.35/0.05", "0.40/0.05"],
        help="confidence/margin pairs to score at",
    )
    parser.add_argument(
        "--refusal-margins",
        nargs="*",
        type=float,
        default=[BotSettings.model_fields["nlu_refusal_margin"].default],
        help="out_of_scope refusal margins to score at, with each pair of --thresholds",
    )
    parser.add_argument(
        "--tune-refusal",
        nargs="*",
        type=float,
        default=None,
        help="tune the refusal margin over these values on one half, score on the other",
    )
    args = parser.parse_args()
    rows, extra = load(args.data), []
    if args.test_only_from:
        known = {(row.test, row.intent) for row in load(args.test_only_from)}
        extra = [row for row in rows if (row.test, row.intent) not in known]
        rows = [row for row in rows if (row.test, row.intent) in known]
    settings = Settings(
        args.word_max_ngram,
        args.char_min_ngram,
        args.char_max_ngram,
        args.char_min_df,
        args.max_iter,
        args.word_min_df,
        args.counts,
        args.c,
    )
    started = time.perf_counter()
    scored, size = cross_validate(rows, extra, settings, args.folds)
    print(
        f"{settings}: {len(rows)} examples scored, {len(extra)} only trained on;"
        f" {size:.0f} features; {time.perf_counter() - started:.0f} s"
    )
    for pair in args.thresholds:
        confidence, margin = (float(x) for x in pair.split("/"))
        for refusal in args.refusal_margins:
            report(scored, Thresholds(confidence, margin, refusal))
    if args.tune_refusal:
        confidence, margin = (float(x) for x in args.thresholds[0].split("/"))
        nested(scored, Thresholds(confidence, margin), args.tune_refusal)


if __name__ == "__main__":
    main()
