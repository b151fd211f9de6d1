"""Rasa components of the ECSM NLU (issue 19), loaded by Rasa from this directory.

Rasa imports a custom component by its module path (`ecsm_components.<Class>` in config.yml),
so this file is on the Rasa process's path: Rasa adds its working directory (nlu/, as in
`make model` and docker compose), and `bot.nlu.model.rasa_env` adds nlu/ for the processes the
bot starts elsewhere (the server, the model lab). `bot.nlu.model.ModelPaths.inputs` hashes it
with the config, so a change here retrains the model.

Runs inside Rasa's own environment (Python 3.10, rasa 3.6): no import from the bot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression


def set_intents(
    messages: list[Message], intents: Any, probabilities: Any, config: dict[str, Any]
) -> None:
    """Each message's intent and intent ranking from its row of `probabilities` (columns in the
    order of `intents`), as Rasa's LogisticRegressionClassifier.process sets them: for the
    classifiers that compute their probabilities from more than one model."""
    for message, row in zip(messages, probabilities):
        ranking = sorted(
            ({"name": str(k), "confidence": float(v)} for k, v in zip(intents, row)),
            key=lambda e: -e["confidence"],
        )
        intent = ranking[0]
        if config[RANKING_LENGTH] > 0:
            ranking = ranking[: config[RANKING_LENGTH]]
        message.set("intent", intent, add_to_output=True)
        message.set("intent_ranking", ranking, add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer giving the sentence features only (the counts of the
    whole message), not the sequence features (one row of counts per token).

    The logistic regression reads the sentence features alone; the sequence ones were computed
    for every training example and every message parsed, then fingerprinted by Rasa's training
    cache after every later component, and never used (docs/nlu.md, sixth pass). The same
    vocabulary, settings and saved form; the sentence features are made exactly as Rasa makes
    them. A classifier that reads sequence features (DIET) needs Rasa's own featurizer.
    """

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[Any], list[Any]]:
        if not self.vectorizers.get(attribute):
            return [None], [None]
        sentence_features: list[Any] = []
        for tokens in all_tokens:
            if not tokens or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(None)
                continue
            sentence = self.vectorizers[attribute].transform([" ".join(tokens)])
            sentence.sort_indices()
            sentence_features.append(sentence.tocoo())
        return [None] * len(all_tokens), sentence_features


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with two settings it lacks:

    - `C`: the inverse of the regularisation strength (Rasa fixes scikit-learn's 1.0);
    - `counts: sqrt`: each feature value replaced by its square root (sign kept) before the
      classifier sees it, so a word or n-gram repeated in a long story counts less than
      linearly; 0/1 features (regexes) are unchanged. `counts: raw` is Rasa's behaviour.

    Dense sentence features (ecsm_vectors.py's static word vectors) are appended to the
    counts as Rasa's classifier appends them, but as given: the square root is for counts.

    The same class weights, solver and saved form (skops) as Rasa's classifier; the model's
    size does not change (one coefficient per topic and feature, as before).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0, "counts": "raw"}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        counts = config.get("counts", "raw")
        if counts not in ("raw", "sqrt"):
            raise ValueError(f"counts must be 'raw' or 'sqrt', not {counts!r}")
        if float(config.get("C", 1.0)) <= 0:
            raise ValueError("C must be positive")

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        features, whole = self._counts_X(messages)
        if whole:
            return features
        dense = dense_matrix(messages)
        if dense.shape[1]:
            features = hstack([features, csr_matrix(dense)], format="csr")
        return features

    def _counts_X(self, messages: list[Message]) -> tuple[csr_matrix, bool]:
        """The sparse sentence features (square-rooted if so configured), and whether Rasa's
        own way made them, dense features then included."""
        features = sentence_matrix(messages, skip_dense=True)
        whole = features is None
        if features is None:
            # Rasa's own way (rows of unequal width): dense features, if any, included.
            features = super()._create_X(messages)
        if self.config["counts"] == "sqrt":
            features = csr_matrix(features, dtype=np.float64, copy=True)
            features.data = np.sign(features.data) * np.sqrt(np.abs(features.data))
        return features, whole


def dense_matrix(messages: list[Message]) -> np.ndarray:
    """The messages' dense sentence features of the text side by side, one row a message (a
    message without them: zeros)."""
    parts = [
        [
            np.asarray(f.features, dtype=np.float64).reshape(-1)
            for f in message.features
            if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE and f.is_dense()
        ]
        for message in messages
    ]
    width = max((sum(p.size for p in row) for row in parts), default=0)
    matrix = np.zeros((len(messages), width))
    for at, row in enumerate(parts):
        if row:
            matrix[at] = np.concatenate(row)
    return matrix


def sentence_matrix(messages: list[Message], skip_dense: bool = False) -> csr_matrix | None:
    """The messages' sparse sentence features of the text, each featurizer's side by side in
    the order they were added, one row a message: the matrix Rasa's
    `LogisticRegressionClassifier._create_X` builds, made in one go instead of by two sparse
    stacks per message (a fifth of the training time with 7,000 examples; docs/nlu.md, sixth
    pass). None when a message has dense sentence features (unless `skip_dense`: then they are
    left out) or the rows differ in width: then Rasa's own way applies."""
    rows: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    values: list[np.ndarray] = []
    width: int | None = None
    for row, message in enumerate(messages):
        offset = 0
        for feature in message.features:
            if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
                continue
            if feature.is_dense():
                if skip_dense:
                    continue
                return None
            part = feature.features.tocoo()
            rows.append(np.full(part.nnz, row, dtype=np.int64))
            columns.append(part.col.astype(np.int64) + offset)
            values.append(part.data)
            offset += part.shape[1]
        if width is None:
            width = offset
        elif offset != width:
            return None
    if width is None or not values:
        return None
    return csr_matrix(
        (
            np.concatenate(values).astype(np.float64),
            (np.concatenate(rows), np.concatenate(columns)),
        ),
        shape=(len(messages), width),
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TopicsLogisticRegressionClassifier(TunedLogisticRegressionClassifier):
    """The counts model and a dense-features model fitted apart, their probabilities combined,
    out_of_scope's probability taken from the counts model alone (docs/nlu.md, eighth pass's
    "topics" variant: the vectors model alone refuses poorly, so it only shares the rest among
    the topics, by the weighted product p_counts^(1-w) · p_vectors^w, renormalised).

    The counts model is TunedLogisticRegressionClassifier's, on the sparse features only; the
    second is a logistic regression on the dense sentence features (ecsm_vectors.py's static
    word vectors) with its own `vectors_C`. Both are saved with the model (skops).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # weight 0.4 and vectors' C 30: the cross-validation's best (docs/nlu.md, eighth pass).
        return {
            **TunedLogisticRegressionClassifier.get_default_config(),
            "weight": 0.4,
            "vectors_C": 30.0,
            "vectors_max_iter": 1000,
            "vectors_tol": 0.1,
            "refusal": "out_of_scope",
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.vectors_clf: LogisticRegression | None = None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        super().validate_config(config)
        if not 0 <= float(config.get("weight", 0.4)) <= 1:
            raise ValueError("weight must be between 0 and 1")
        if float(config.get("vectors_C", 30.0)) <= 0:
            raise ValueError("vectors_C must be positive")

    def _vectors_model(self) -> LogisticRegression:
        return LogisticRegression(
            C=float(self.config["vectors_C"]),
            class_weight="balanced",
            max_iter=int(self.config["vectors_max_iter"]),
            tol=float(self.config["vectors_tol"]),
            random_state=self.config["random_state"],
            solver="lbfgs",
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        intents = [e.get(INTENT) for e in examples]
        counts, whole = self._counts_X(examples)
        dense = dense_matrix(examples)
        if whole or not dense.shape[1]:
            raise ValueError(f"{type(self).__name__} needs one dense sentence feature per message")
        self.clf.fit(counts, intents)
        self.vectors_clf = self._vectors_model()
        self.vectors_clf.fit(dense, intents)
        self.persist()
        return self._resource

    def probabilities(self, messages: list[Message]) -> np.ndarray:
        """Each message's probabilities over `self.clf.classes_`, combined as the class says."""
        counts = self.clf.predict_proba(self._counts_X(messages)[0])
        if self.vectors_clf is None:
            return np.asarray(counts)
        if list(self.vectors_clf.classes_) != list(self.clf.classes_):
            raise ValueError("the two models were trained on different intents")
        vectors = self.vectors_clf.predict_proba(dense_matrix(messages))
        return topics_combined(
            counts, vectors, list(self.clf.classes_).index(self.config["refusal"]),
            float(self.config["weight"]),
        )

    def process(self, messages: list[Message]) -> list[Message]:
        if not messages:
            return messages
        set_intents(messages, self.clf.classes_, self.probabilities(messages), self.config)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        super().persist()
        if self.vectors_clf is not None:
            with self._model_storage.write_to(self._resource) as directory:
                sio.dump(self.vectors_clf, directory / VECTORS_MODEL)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TopicsLogisticRegressionClassifier:
        import skops.io as sio

        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(component, TopicsLogisticRegressionClassifier)
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / VECTORS_MODEL
                if path.is_file():
                    untrusted = sio.get_untrusted_types(file=path)
                    if not untrusted:
                        component.vectors_clf = sio.load(path, trusted=untrusted)
        except ValueError:
            pass  # Nothing saved: an untrained component, as Rasa's own classifier loads.
        return component


VECTORS_MODEL = "vectors.skops"


def topics_combined(
    counts: np.ndarray, vectors: np.ndarray, refusal: int, weight: float
) -> np.ndarray:
    """out_of_scope's probability from the counts model; the rest shared among the topics by
    the weighted product of the two models' topic probabilities (bench.nlu_split_cv's "topics",
    the same arithmetic)."""
    logs = (1 - weight) * np.log(np.delete(counts, refusal, axis=1) + 1e-12) + weight * np.log(
        np.delete(vectors, refusal, axis=1) + 1e-12
    )
    logs -= logs.max(axis=1, keepdims=True)
    shared = np.exp(logs)
    shared /= shared.sum(axis=1, keepdims=True)
    shared *= 1 - counts[:, [refusal]]
    return np.insert(shared, refusal, counts[:, refusal], axis=1)
