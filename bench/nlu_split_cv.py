"""Two classifiers apart, probabilities combined: the counts and static word vectors (issue 19).

`bench.nlu_static_cv` appended e5-distilled word vectors to the counts in ONE logistic
regression: +3.5 points on real questions by CV, but +63% training CPU in real Rasa (384 dense
columns in every lbfgs step over 50,000 sparse ones). Here the served counts model is fitted as
it is, a second logistic regression on the vectors alone (a few hundred dense columns, cheap),
and their probabilities are combined per message:

    geometric  p ∝ p_counts^(1-w) · p_vectors^w   (a weighted product, renormalised)
    linear     p = (1-w) · p_counts + w · p_vectors

`w` is chosen by CV: every row is scored by both models trained on the other folds (the SAME 5
folds as `bench.nlu_cv`), then each weight is scored by the bot's own decision at its
thresholds; `--nested` tunes the weight on one half of the rows and scores the other, both
ways round, so the chosen weight is not graded on its own rows.

With --last the vectors model also sees the vector of the message's last sentence (the
question after a story) beside the whole message's.

    .venv/bin/python -m bench.nlu_split_cv --data /tmp/nlu8/data \
        --teacher /tmp/nlu8/teacher-query.npz --dims 384 --vector-c 10 \
        --weights 0 0.2 0.3 0.4 0.5 --nested

Only nlu/data (and data/ for the vocabulary) is read, never nlu/tests.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from bench.nlu_cv import (
    ROOT,
    Row,
    Scored,
    Settings,
    classifier,
    load,
    report,
    tokens,
    transformed,
    vectorizer,
)
from bench.nlu_static_cv import Table, content_counts, table, words_of
from bot.core.nlu_scores import accuracy
from bot.core.ports import IntentScore, Parse
from bot.core.understanding import OUT_OF_SCOPE, Thresholds, interpret

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def last_sentence(text: str) -> str:
    """The message's last sentence with words in it (the question after a story)."""
    parts = [part for part in SENTENCE_END.split(text.strip()) if words_of(part)]
    return parts[-1] if parts else text


def dense(vectors: Table, texts: list[str], allowed: set[str] | None, last: bool) -> np.ndarray:
    whole = np.vstack([vectors.vector(text, allowed) for text in texts])
    if not last:
        return whole
    tail = np.vstack([vectors.vector(last_sentence(text), allowed) for text in texts])
    return np.hstack([whole, tail])


@dataclass(frozen=True)
class Both:
    """Each scored row's probabilities from the two models, over the same classes."""

    rows: list[Row]
    classes: np.ndarray
    counts: np.ndarray
    vectors: np.ndarray


def folds_of(rows: list[Row], folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    labels = np.array([row.intent for row in rows])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    return list(splitter.split(np.zeros(len(rows)), labels, np.arange(len(rows))))


def counts_probabilities(
    rows: list[Row], settings: Settings, folds: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, float]:
    """The served counts model's probabilities for every row (trained on the other folds)."""
    classes = np.array(sorted({row.intent for row in rows}))
    probabilities = np.zeros((len(rows), len(classes)))
    cpu = 0.0
    for train_at, test_at in folds:
        training = [rows[i] for i in train_at]
        raw = [text for row in training for text in row.train]
        intents = [row.intent for row in training for _ in row.train]
        started = time.process_time()
        counts_of = vectorizer(settings)
        x = transformed(counts_of.fit_transform([tokens(text) for text in raw]), settings)
        model = classifier(settings)
        model.fit(x, intents)
        cpu += time.process_time() - started
        assert list(model.classes_) == list(classes)
        asked = [tokens(rows[i].test) for i in test_at]
        probabilities[test_at] = model.predict_proba(
            transformed(counts_of.transform(asked), settings)
        )
    return classes, probabilities, cpu


def vectors_probabilities(
    rows: list[Row],
    folds: list[tuple[np.ndarray, np.ndarray]],
    classes: np.ndarray,
    vectors: Table,
    vector_c: float,
    fold_vocab: set[str] | None,
    last: bool,
) -> tuple[np.ndarray, float]:
    """The vectors model's probabilities for every row (trained on the other folds)."""
    probabilities = np.zeros((len(rows), len(classes)))
    cpu = 0.0
    for train_at, test_at in folds:
        training = [rows[i] for i in train_at]
        raw = [text for row in training for text in row.train]
        intents = [row.intent for row in training for _ in row.train]
        allowed = None
        if fold_vocab is not None:
            allowed = fold_vocab | {word for text in raw for word in words_of(text)}
        started = time.process_time()
        model = LogisticRegression(
            class_weight="balanced", C=vector_c, max_iter=1000, tol=1e-4, random_state=42
        )
        model.fit(dense(vectors, raw, allowed, last), intents)
        cpu += time.process_time() - started
        assert list(model.classes_) == list(classes)
        asked = [rows[i].test for i in test_at]
        probabilities[test_at] = model.predict_proba(dense(vectors, asked, allowed, last))
    return probabilities, cpu


def combined(both: Both, weight: float, mode: str) -> np.ndarray:
    if mode == "linear":
        return np.asarray((1 - weight) * both.counts + weight * both.vectors)
    if mode == "topics":
        # out_of_scope's probability is the counts model's; the rest is shared among the
        # topics by the weighted product (the vectors model refuses poorly: 61% OOS recall).
        oos = list(both.classes).index(OUT_OF_SCOPE)
        topics = replace(
            both,
            counts=np.delete(both.counts, oos, axis=1),
            vectors=np.delete(both.vectors, oos, axis=1),
        )
        shared = combined(topics, weight, "geometric") * (1 - both.counts[:, [oos]])
        return np.insert(shared, oos, both.counts[:, oos], axis=1)
    logs = (1 - weight) * np.log(both.counts + 1e-12) + weight * np.log(both.vectors + 1e-12)
    logs -= logs.max(axis=1, keepdims=True)
    exp = np.exp(logs)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def scored(both: Both, probabilities: np.ndarray, at: list[int] | None = None) -> list[Scored]:
    out = []
    for i in at if at is not None else range(len(both.rows)):
        best = np.argsort(-probabilities[i])[:10]
        ranking = tuple(IntentScore(str(both.classes[j]), float(probabilities[i, j])) for j in best)
        out.append(Scored(both.rows[i], Parse(ranking)))
    return out


def nested(both: Both, limits: Thresholds, weights: list[float], mode: str) -> None:
    """The weight tuned on one half of the rows (even / odd positions), scored on the other."""
    halves = (list(range(0, len(both.rows), 2)), list(range(1, len(both.rows), 2)))
    for tuned_on, scored_on in (halves, halves[::-1]):

        def accuracy_at(weight: float, on: list[int] = tuned_on) -> float:
            chosen = scored(both, combined(both, weight, mode), on)
            return accuracy([(s.row.intent, interpret(s.parse, limits).topic) for s in chosen])

        best = max(sorted(weights), key=accuracy_at)
        print(f"== {mode} weight tuned on one half: {best:g}; the other half, 0 then {best:g}")
        report(scored(both, combined(both, 0.0, mode), scored_on), limits)
        report(scored(both, combined(both, best, mode), scored_on), limits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "nlu" / "data")
    parser.add_argument("--teacher", type=Path, default=Path("/tmp/nlu8/teacher-query.npz"))
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--weighting", choices=["sif", "mean"], default="sif")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=3.0, help="the counts model's C (served: 3)")
    parser.add_argument("--char-min-df", type=int, default=3, help="served: 3")
    parser.add_argument("--vector-c", type=float, nargs="+", default=[10.0])
    parser.add_argument("--weights", type=float, nargs="+", default=[0, 0.2, 0.3, 0.4, 0.5])
    parser.add_argument("--modes", nargs="+", default=["geometric", "linear", "topics"])
    parser.add_argument("--last", action="store_true", help="the last sentence's vector too")
    parser.add_argument("--no-fold-vocab", action="store_true")
    parser.add_argument("--nested", action="store_true")
    parser.add_argument("--thresholds", default="0.30/0.05")
    args = parser.parse_args()
    rows = load(args.data)
    settings = Settings(1, 2, 5, args.char_min_df, 300, 2, "sqrt", args.c)
    vectors = table(args.teacher, args.dims, args.weighting, None)
    fold_vocab = None if args.no_fold_vocab else set(content_counts(ROOT / "data"))
    confidence, margin = (float(x) for x in args.thresholds.split("/"))
    limits = Thresholds(confidence, margin)
    folds = folds_of(rows, args.folds)
    classes, p_counts, counts_cpu = counts_probabilities(rows, settings, folds)
    for vector_c in args.vector_c:
        p_vectors, vectors_cpu = vectors_probabilities(
            rows, folds, classes, vectors, vector_c, fold_vocab, args.last
        )
        both = Both(rows, classes, p_counts, p_vectors)
        print(
            f"#### {len(rows)} examples; {args.dims} dims{' + last sentence' if args.last else ''},"
            f" vector C {vector_c:g}; 5 fits CPU: counts {counts_cpu:.0f} s,"
            f" vectors {vectors_cpu:.0f} s"
        )
        print("== the vectors model alone")
        report(scored(both, both.vectors), limits)
        for mode in args.modes:
            for weight in args.weights:
                print(f"== {mode}, w = {weight:g}")
                report(scored(both, combined(both, weight, mode)), limits)
            if args.nested:
                nested(both, limits, args.weights, mode)


if __name__ == "__main__":
    main()
