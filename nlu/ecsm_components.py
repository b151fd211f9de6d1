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
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with two settings it lacks:

    - `C`: the inverse of the regularisation strength (Rasa fixes scikit-learn's 1.0);
    - `counts: sqrt`: each feature value replaced by its square root (sign kept) before the
      classifier sees it, so a word or n-gram repeated in a long story counts less than
      linearly; 0/1 features (regexes) are unchanged. `counts: raw` is Rasa's behaviour.

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
        features = super()._create_X(messages)
        if self.config["counts"] == "sqrt":
            features = csr_matrix(features, dtype=np.float64, copy=True)
            features.data = np.sign(features.data) * np.sqrt(np.abs(features.data))
        return features
