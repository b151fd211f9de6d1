"""The NLU's custom Rasa components (nlu/ecsm_components.py, issue 19): the model's hash covers
their code, every Rasa process the bot starts can import them, and the served config names
one that the file defines. (Training and parsing with them: tests/test_nlu_swap.py and
tests/test_nlu_trainer.py, which train nlu/config.yml with a real Rasa.)"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.nlu.model import COMPONENTS_DIR, ModelPaths, inputs_hash, rasa_env

ROOT = Path(__file__).resolve().parent.parent
NLU = ROOT / "nlu"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def run_in_rasa(script: str) -> str:
    """What `script` prints, run by the Rasa environment's Python beside the components."""
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script],
        cwd=NLU,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_the_components_are_model_inputs() -> None:
    assert NLU / "ecsm_components.py" in ModelPaths(NLU, ROOT / "data").inputs()


def test_changing_a_component_changes_the_model_hash(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu"
    (nlu / "data").mkdir(parents=True)
    for name in ("config.yml", "requirements.txt", "ecsm_components.py"):
        shutil.copy(NLU / name, nlu / name)
    shutil.copy(NLU / "data" / "service_en.yml", nlu / "data" / "service_en.yml")
    paths = ModelPaths(nlu, ROOT / "data")
    before = inputs_hash(paths)
    with (nlu / "ecsm_components.py").open("a", encoding="utf-8") as code:
        code.write("\n# changed\n")
    assert inputs_hash(paths) != before


def test_rasa_processes_find_the_components_whatever_their_directory() -> None:
    assert COMPONENTS_DIR == NLU
    assert rasa_env()["PYTHONPATH"].split(os.pathsep)[0] == str(NLU)


def test_the_served_classifier_is_defined_in_the_components() -> None:
    pipeline = yaml.safe_load((NLU / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    custom = [step for step in pipeline if step["name"].startswith("ecsm_components.")]
    names = [step["name"] for step in custom]
    featurizer = "ecsm_components.SentenceCountVectorsFeaturizer"
    assert names == [featurizer, featurizer, "ecsm_components.TunedLogisticRegressionClassifier"]
    # Words and character n-grams, each with its own vocabulary.
    assert [step.get("analyzer", "word") for step in custom[:2]] == ["word", "char_wb"]
    assert custom[2]["counts"] in ("raw", "sqrt") and float(custom[2]["C"]) > 0
    source = (NLU / "ecsm_components.py").read_text(encoding="utf-8")
    assert "class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):" in source
    assert "class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):" in source


# Run in Rasa's own environment: Rasa's featurizers and ours on the same messages, and the
# classifier's input built Rasa's way and ours.
SAME_FEATURES = """
import tempfile
from pathlib import Path

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ecsm_components import SentenceCountVectorsFeaturizer, sentence_matrix

texts = ["what is phishing", "my bank sent me a strange link", "как да си сменя паролата",
         "hello there", "stop the daily tips", "phishing link in a text 2 times"]
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
context = ExecutionContext(GraphSchema({}), "check")


def component(cls, name, **extra):
    return cls.create({**cls.get_default_config(), **extra}, storage, Resource(name), context)


def featurized(featurizer):
    messages = [Message(data={"text": t, "intent": f"i{k % 3}"}) for k, t in enumerate(texts)]
    data = TrainingData(messages, regex_features=[{"name": "number", "pattern": "[0-9]+"}])
    component(WhitespaceTokenizer, "tokens").process_training_data(data)
    steps = [
        component(RegexFeaturizer, "regex"),
        component(featurizer, "words" + featurizer.__name__),
        component(featurizer, "chars" + featurizer.__name__, analyzer="char_wb", max_ngram=5),
    ]
    for step in steps:
        step.train(data)
        step.process_training_data(data)
    return data.training_examples


def sequences(messages):
    return sum(f.type == "sequence" and f.attribute == "text" for m in messages for f in m.features)


rasa = featurized(CountVectorsFeaturizer)
ours = featurized(SentenceCountVectorsFeaturizer)
expected = LogisticRegressionClassifier._create_X(None, rasa).toarray()
assert expected.shape[0] == len(texts) and expected.shape[1] > 100
assert np.array_equal(sentence_matrix(rasa).toarray(), expected)
assert np.array_equal(sentence_matrix(ours).toarray(), expected)
# Rasa's featurizers add a sequence matrix each to every message; ours none (the regex one's stay).
assert (sequences(rasa), sequences(ours)) == (3 * len(texts), len(texts))
print("same features")
"""


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs the Rasa environment (.venv-rasa)")
def test_the_fast_paths_give_the_classifier_the_same_features_as_rasa() -> None:
    assert run_in_rasa(SAME_FEATURES).endswith("same features")


def test_the_vector_table_is_a_model_input() -> None:
    # The table the vectors featurizer reads is hashed with the code: a new table retrains.
    inputs = ModelPaths(NLU, ROOT / "data").inputs()
    assert all(path in inputs for path in NLU.glob("*.npz"))


# Run in Rasa's own environment: the static-vector featurizer and the classifier train on a
# few messages with a small table, the classifier's input is [√counts ; scale x vector], and
# a model loaded back from its storage parses a new message.
VECTORS_TRAIN_AND_PARSE = """
import tempfile
from pathlib import Path

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ecsm_components import SentenceCountVectorsFeaturizer, TunedLogisticRegressionClassifier
from ecsm_vectors import StaticWordVectorsFeaturizer, VectorTable

words = ["what", "is", "phishing", "bank", "link", "hello", "stop", "tips", "паролата"]
rows = np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float16)
table = Path(tempfile.mkdtemp()) / "table.npz"
np.savez(table, words=np.frombuffer("\\n".join(words).encode(), dtype=np.uint8), rows=rows,
         weights=np.ones(len(words), dtype=np.float16))
vectors = VectorTable(table)
# A text's vector: the mean of its known words' rows, unit length; unknown words add nothing.
expected = rows[[0, 2]].astype(np.float32).mean(axis=0)
assert np.allclose(vectors.vector("What PHISHING, 12 xyz"), expected / np.linalg.norm(expected))
assert not vectors.vector("nothing known 42").any()

texts = ["what is phishing", "my bank sent me a strange link", "как да си сменя паролата",
         "hello there", "stop the daily tips", "phishing link in a text 2 times"]
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
context = ExecutionContext(GraphSchema({}), "check")
classifier_config = {**TunedLogisticRegressionClassifier.get_default_config(), "counts": "sqrt",
                     "C": 3.0}


def component(cls, name, **extra):
    return cls.create({**cls.get_default_config(), **extra}, storage, Resource(name), context)


tokenizer = component(WhitespaceTokenizer, "tokens")
counts = component(SentenceCountVectorsFeaturizer, "words")
data = TrainingData([Message(data={"text": t, "intent": f"i{k % 3}"}) for k, t in enumerate(texts)])
tokenizer.process_training_data(data)
counts.train(data)
counts.process_training_data(data)
plain = component(StaticWordVectorsFeaturizer, "plain", table=str(table), scale=10.0)
plain.train(data)
assert np.allclose(plain.features(texts[0]), 10 * vectors.vector(texts[0]))
# Reduced: 3 intents, 2 discriminant directions, saved with the model and loaded back.
settings = {**StaticWordVectorsFeaturizer.get_default_config(), "table": str(table),
            "scale": 2.0, "reduce_to": 2}
featurizer = component(StaticWordVectorsFeaturizer, "vectors", **settings)
featurizer.train(data)
featurizer = StaticWordVectorsFeaturizer.load(settings, storage, Resource("vectors"), context)
assert featurizer.projection is not None and featurizer.features(texts[0]).shape == (1, 2)
featurizer.process_training_data(data)
classifier = component(TunedLogisticRegressionClassifier, "classifier", **classifier_config)
x = classifier._create_X(data.training_examples).toarray()
width = x.shape[1] - 2
assert np.allclose(x[0, width:], featurizer.features(texts[0])[0])  # as given, no square root
assert np.allclose(x[5, :width] ** 2, np.round(x[5, :width] ** 2))  # counts, square-rooted
classifier.train(data)

loaded = TunedLogisticRegressionClassifier.load(
    classifier_config, storage, Resource("classifier"), context
)
message = Message(data={"text": "is this phishing link real"})
for step in (tokenizer, counts, featurizer, loaded):
    step.process([message])
ranking = message.get("intent_ranking")
assert message.get("intent")["name"] in {"i0", "i1", "i2"} and len(ranking) == 3
assert abs(sum(r["confidence"] for r in ranking) - 1) < 1e-6
print("vectors train and parse")
"""


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs the Rasa environment (.venv-rasa)")
def test_the_vector_featurizer_trains_and_parses_in_rasa() -> None:
    assert run_in_rasa(VECTORS_TRAIN_AND_PARSE).endswith("vectors train and parse")


def test_every_vector_table_a_config_names_is_in_the_tree() -> None:
    # A config naming the vectors featurizer trains only with its table beside the components.
    for config in [NLU / "config.yml", *sorted((NLU / "configs").glob("*.yml"))]:
        pipeline = yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]
        for step in pipeline:
            if step["name"] == "ecsm_vectors.StaticWordVectorsFeaturizer":
                assert (NLU / step.get("table", "static_vectors.npz")).is_file(), config


# Run in Rasa's own environment: the "topics" classifier (counts and vectors models fitted
# apart) trains on a few messages with a small table, is saved and loaded back with both models,
# and parses: out_of_scope's probability is the counts model's alone, the topics share the rest
# by the weighted product of the two models' probabilities.
TOPICS_TRAIN_AND_PARSE = """
import tempfile
from pathlib import Path

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ecsm_components import (SentenceCountVectorsFeaturizer, TopicsLogisticRegressionClassifier,
                             dense_matrix, topics_combined)
from ecsm_vectors import StaticWordVectorsFeaturizer

words = ["what", "is", "phishing", "bank", "link", "hello", "stop", "tips", "weather", "today"]
rows = np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float16)
table = Path(tempfile.mkdtemp()) / "table.npz"
np.savez(table, words=np.frombuffer("\\n".join(words).encode(), dtype=np.uint8), rows=rows,
         weights=np.ones(len(words), dtype=np.float16))
texts = {"phishing": ["what is phishing", "a phishing link"], "bank": ["my bank link", "bank"],
         "out_of_scope": ["weather today", "what is the weather"]}
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
context = ExecutionContext(GraphSchema({}), "check")


def component(cls, name, **extra):
    return cls.create({**cls.get_default_config(), **extra}, storage, Resource(name), context)


tokenizer = component(WhitespaceTokenizer, "tokens")
counts = component(SentenceCountVectorsFeaturizer, "words")
vectors = component(StaticWordVectorsFeaturizer, "vectors", table=str(table), scale=1.0)
data = TrainingData([Message(data={"text": t, "intent": i}) for i, ts in texts.items() for t in ts])
for step in (tokenizer, counts, vectors):
    if hasattr(step, "train"):
        step.train(data)
    step.process_training_data(data)
config = {**TopicsLogisticRegressionClassifier.get_default_config(), "counts": "sqrt", "C": 3.0,
          "weight": 0.4, "vectors_C": 30.0}
component(TopicsLogisticRegressionClassifier, "topics", **config).train(data)
loaded = TopicsLogisticRegressionClassifier.load(config, storage, Resource("topics"), context)
assert loaded.vectors_clf is not None
message = Message(data={"text": "is this phishing link real"})
for step in (tokenizer, counts, vectors):
    step.process([message])
loaded.process([message])
ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
assert set(ranking) == set(texts) and abs(sum(ranking.values()) - 1) < 1e-6

# The arithmetic, from the two models' own probabilities.
p_counts = loaded.clf.predict_proba(loaded._counts_X([message])[0])[0]
p_vectors = loaded.vectors_clf.predict_proba(dense_matrix([message]))[0]
classes = list(loaded.clf.classes_)
refusal = classes.index("out_of_scope")
assert np.isclose(ranking["out_of_scope"], p_counts[refusal])
topics = [k for k in range(len(classes)) if k != refusal]
product = p_counts[topics] ** 0.6 * p_vectors[topics] ** 0.4
expected = product / product.sum() * (1 - p_counts[refusal])
assert np.allclose([ranking[classes[k]] for k in topics], expected)
# A weight of 0 is the counts model alone.
same = topics_combined(p_counts[None, :], p_vectors[None, :], refusal, 0.0)
assert np.allclose(same, p_counts[None, :])
print("topics train and parse")
"""


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs the Rasa environment (.venv-rasa)")
def test_the_topics_classifier_trains_and_parses_in_rasa() -> None:
    assert run_in_rasa(TOPICS_TRAIN_AND_PARSE).endswith("topics train and parse")
