"""Trains the NLU model only when its inputs changed, keyed by a hash of config, data and the
rasa version, with a cache outside the work tree so that a fresh clone reuses earlier work."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bot.nlu.prepare import prepare_training_data

log = logging.getLogger(__name__)

MODEL_NAME = "nlu"
# nlu/ of this checkout: its custom Rasa components (ecsm_components.py) must be importable by
# every Rasa process the bot starts, whatever that process's working directory.
COMPONENTS_DIR = Path(__file__).resolve().parents[2] / "nlu"


@dataclass(frozen=True)
class ModelPaths:
    nlu_dir: Path
    # The bot's content, whose typing tables read the Latin-typed training examples.
    data_dir: Path = Path("data")

    @property
    def model(self) -> Path:
        return self.nlu_dir / "models" / f"{MODEL_NAME}.tar.gz"

    @property
    def stamp(self) -> Path:
        return self.nlu_dir / "models" / f"{MODEL_NAME}.sha256"

    @property
    def training_data(self) -> Path:
        """nlu/data as Rasa is trained on it: Latin-typed examples also read into their
        language's script (bot/nlu/prepare.py); made anew before every check or training."""
        return self.nlu_dir / "build" / "data"

    def components(self) -> list[Path]:
        """The code of the custom Rasa components the config names (nlu/ecsm_components.py,
        nlu/ecsm_vectors.py) and the tables they read (nlu/static_vectors.npz): part of what a
        model is trained from, wherever its hash is taken."""
        return sorted([*self.nlu_dir.glob("*.py"), *self.nlu_dir.glob("*.npz")])

    def inputs(self) -> list[Path]:
        files = [self.nlu_dir / "config.yml", self.nlu_dir / "requirements.txt"]
        files += self.components()
        files += sorted(self.training_data.rglob("*.yml"))
        return files


def inputs_hash(paths: ModelPaths) -> str:
    # The prepared data stands for nlu/data, the typing tables and the word lists together.
    prepare_training_data(paths.nlu_dir / "data", paths.training_data, paths.data_dir)
    digest = hashlib.sha256()
    for path in paths.inputs():
        digest.update(path.relative_to(paths.nlu_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("ECSM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ecsm-bot"
    )
    return Path(base) / "models"


def is_current(paths: ModelPaths) -> bool:
    return (
        paths.model.exists()
        and paths.stamp.exists()
        and paths.stamp.read_text().strip() == inputs_hash(paths)
    )


def ensure_model(paths: ModelPaths, rasa_venv: Path, force: bool = False) -> Path:
    """Return the current model, training it (or taking it from the cache) when needed."""
    wanted = inputs_hash(paths)
    if not force and is_current(paths):
        log.info("NLU model is current (%s)", wanted[:12])
        return paths.model
    cached = cache_dir() / f"{wanted}.tar.gz"
    paths.model.parent.mkdir(parents=True, exist_ok=True)
    if not force and cached.exists():
        log.info("NLU model taken from the cache (%s)", wanted[:12])
        shutil.copyfile(cached, paths.model)
    else:
        train(paths, rasa_venv)
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.model, cached)
    paths.stamp.write_text(wanted + "\n")
    return paths.model


def train(paths: ModelPaths, rasa_venv: Path) -> None:
    rasa = (rasa_venv / "bin" / "rasa").resolve()
    if not rasa.exists():
        raise FileNotFoundError(f"{rasa} is missing: run `make` to build the Rasa environment")
    log.info("training the NLU model (this takes a few minutes on a small machine)")
    command = [
        str(rasa),
        "train",
        "nlu",
        "--config",
        "config.yml",
        "--nlu",
        str(paths.training_data.relative_to(paths.nlu_dir)),
        "--out",
        "models",
        "--fixed-model-name",
        MODEL_NAME,
    ]
    subprocess.run(command, cwd=paths.nlu_dir, env=rasa_env(), check=True)  # noqa: S603


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    # No telemetry calls to the outside, and no TensorFlow chatter on the console.
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    if COMPONENTS_DIR.is_dir():
        env["PYTHONPATH"] = os.pathsep.join(
            [str(COMPONENTS_DIR), *filter(None, [env.get("PYTHONPATH")])]
        )
    return env
