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
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack


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
        features = sentence_matrix(messages, skip_dense=True)
        if features is None:
            # Rasa's own way (rows of unequal width): dense features, if any, included.
            features = super()._create_X(messages)
            dense = None
        else:
            dense = dense_matrix(messages)
        if self.config["counts"] == "sqrt":
            features = csr_matrix(features, dtype=np.float64, copy=True)
            features.data = np.sign(features.data) * np.sqrt(np.abs(features.data))
        if dense is not None and dense.shape[1]:
            features = hstack([features, csr_matrix(dense)], format="csr")
        return features


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
