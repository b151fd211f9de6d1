"""Static word vectors as a Rasa dense featurizer (issue 19; docs/nlu.md, eighth pass).

Each word of a fixed vocabulary has a vector distilled offline from multilingual-e5 (the words
of nlu/data, typed and read, and of the bot's own texts in data/); a message's vector is the
SIF-weighted mean of its known words' rows, L2-normalised, times `scale`, given to the
classifier as the message's dense sentence feature (appended to the counts). A word outside
the table adds nothing. The table is a file beside this module (`nlu/static_vectors.npz`,
written by `python -m bench.nlu_static_cv save`), hashed with the components as a model input
(`bot.nlu.model.ModelPaths.components`), and read once per process: no e5 at run time.

Runs inside Rasa's own environment (Python 3.10, rasa 3.6): no import from the bot.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

HERE = Path(__file__).resolve().parent
# The words the table is looked up by: bench.nlu_cv's tokens (Rasa's counts see the same),
# lower case, less any word with a digit in it (numbers were not distilled).
WORD = re.compile(r"\w+(?:['’\-]\w+)*")


def words_of(text: str) -> list[str]:
    return [
        word
        for word in (w.lower() for w in WORD.findall(text))
        if not any(c.isdigit() for c in word)
    ]


class VectorTable:
    """The words' float16 rows and SIF weights; a text's vector in microseconds."""

    def __init__(self, path: Path) -> None:
        with np.load(path) as stored:
            words = bytes(stored["words"]).decode("utf-8").split("\n")
            self.rows = stored["rows"]
            self.weights = stored["weights"].astype(np.float32)
        self.index = {word: i for i, word in enumerate(words)}
        self.dims = int(self.rows.shape[1])

    def vector(self, text: str) -> np.ndarray:
        at = [self.index[word] for word in words_of(text) if word in self.index]
        if not at:
            return np.zeros(self.dims, dtype=np.float32)
        weights = self.weights[at]
        mean: np.ndarray = weights @ self.rows[at].astype(np.float32) / weights.sum()
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else mean


@lru_cache(maxsize=2)
def load_table(path: str) -> VectorTable:
    # One copy per process whatever the number of components or models that name it.
    return VectorTable(Path(path))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class StaticWordVectorsFeaturizer(DenseFeaturizer, GraphComponent):
    """The message's static-vector mean as a dense sentence feature (no sequence features:
    the logistic regression reads sentence features only).

    With `reduce_to` N > 0, training fits a linear discriminant analysis of the training
    messages' vectors by intent and keeps its first N directions (N < number of intents): the
    classifier then carries N dense columns instead of the table's width, which is what made
    the one fit dear (docs/nlu.md, eighth pass). The projection is saved with the model.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # scale: the unit vector's length beside the √counts in one logistic regression (10
        # by cross-validation; 30 hurt: docs/nlu.md, static word vectors probe).
        return {
            **DenseFeaturizer.get_default_config(),
            "table": "static_vectors.npz",
            "scale": 10.0,
            "reduce_to": 0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        projection: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        super().__init__(name, config)
        self.table = load_table(str(self.table_path(config)))
        self.scale = float(config["scale"])
        # (mean, directions): a vector v becomes (v - mean) @ directions.
        self.projection = projection
        self._model_storage = model_storage
        self._resource = resource

    @staticmethod
    def table_path(config: dict[str, Any]) -> Path:
        return HERE / str(config.get("table", "static_vectors.npz"))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StaticWordVectorsFeaturizer:
        config = {**cls.get_default_config(), **config}
        return cls(config, execution_context.node_name, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        size = int(self._config["reduce_to"])
        if size > 0:
            from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

            examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
            vectors = np.vstack([self.table.vector(e.get(TEXT)) for e in examples])
            lda = LinearDiscriminantAnalysis(n_components=size)
            lda.fit(vectors, [e.get(INTENT) for e in examples])
            self.projection = (
                lda.xbar_.astype(np.float32),
                lda.scalings_[:, :size].astype(np.float32),
            )
        with self._model_storage.write_to(self._resource) as directory:
            if self.projection is not None:
                np.savez(
                    directory / "projection.npz",
                    mean=self.projection[0],
                    directions=self.projection[1],
                )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StaticWordVectorsFeaturizer:
        config = {**cls.get_default_config(), **config}
        projection = None
        try:
            with model_storage.read_from(resource) as directory:
                if (directory / "projection.npz").is_file():
                    with np.load(directory / "projection.npz") as stored:
                        projection = (stored["mean"], stored["directions"])
        except ValueError:
            pass  # Nothing saved: an untrained component, as Rasa's own featurizers load.
        return cls(config, execution_context.node_name, model_storage, resource, projection)

    def features(self, text: str) -> np.ndarray:
        """The message's dense sentence feature: one row."""
        vector = self.table.vector(text)
        if self.projection is not None:
            mean, directions = self.projection
            vector = (vector - mean) @ directions
        return np.asarray(self.scale * vector[np.newaxis, :])

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("scale", 10.0)) <= 0:
            raise ValueError("scale must be positive")
        if int(config.get("reduce_to", 0)) < 0:
            raise ValueError("reduce_to must be 0 (no reduction) or positive")
        if not cls.table_path(config).is_file():
            raise ValueError(f"static vector table {cls.table_path(config)} is missing")

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa's training cache keys a component by its config; the table's content counts too.
        path = cls.table_path({**cls.get_default_config(), **config})
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                self.add_features_to_message(None, self.features(text), TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
