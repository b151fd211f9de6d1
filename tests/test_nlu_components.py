"""The NLU's custom Rasa components (nlu/ecsm_components.py, issue 19): the model's hash covers
their code, every Rasa process the bot starts can import them, and the served config names
one that the file defines. (Training and parsing with them: tests/test_nlu_swap.py and
tests/test_nlu_trainer.py, which train nlu/config.yml with a real Rasa.)"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from bot.nlu.model import COMPONENTS_DIR, ModelPaths, inputs_hash, rasa_env

ROOT = Path(__file__).resolve().parent.parent
NLU = ROOT / "nlu"


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
    assert names == ["ecsm_components.TunedLogisticRegressionClassifier"]
    assert custom[0]["counts"] in ("raw", "sqrt") and float(custom[0]["C"]) > 0
    source = (NLU / "ecsm_components.py").read_text(encoding="utf-8")
    assert "class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):" in source
