"""Rasa behind the model service's ports (issue 18): candidates trained with `rasa train nlu`
from the repository's data plus the reviewed examples, under NLU_WORK_DIR (never inside the
package); held-out examples parsed by a model (a short-lived Rasa server on loopback) or by the
running server; models loaded into the running server with `PUT /model`."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import yaml

from bot.core.nlu_models import HeldOut, Progress, TrainedModel
from bot.core.nlu_review import LabelledExample
from bot.core.ports import NLU, Parse
from bot.nlu.client import RasaNLU
from bot.nlu.model import ModelPaths, rasa_env
from bot.nlu.prepare import prepare_training_data
from bot.nlu.reviewed import as_yaml
from bot.nlu.server import start_process, stop_process, wait_ready

_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def language_of(group: str, languages: Sequence[str]) -> str | None:
    """`hard_bg_latn` -> bg: the first part of a held-out file's group that names a language."""
    return next((part for part in group.split("_") if part in languages), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RasaLab:
    def __init__(
        self,
        paths: ModelPaths,
        work_dir: Path,
        rasa_venv: Path,
        languages: Sequence[str],
        running: NLU,
        reading: Callable[[NLU], NLU],
        startup_timeout: float = 300.0,
    ) -> None:
        self.paths = paths
        self.work_dir = work_dir.resolve()
        self.rasa_venv = rasa_venv
        self.languages = list(languages)
        self.running = running
        # The bot's way of asking (Latin-typed words read first), for candidate models too.
        self.reading = reading
        self.startup_timeout = startup_timeout

    def held_out(self, extra: Sequence[LabelledExample]) -> list[HeldOut]:
        examples: list[HeldOut] = []
        seen: set[tuple[str, str]] = set()
        for path in sorted((self.paths.nlu_dir / "tests").glob("test_nlu_*.yml")):
            language = language_of(path.stem.removeprefix("test_nlu_"), self.languages)
            if language is None:
                continue
            for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
                if "intent" not in block:
                    continue
                for line in block["examples"].splitlines():
                    text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                    if text and (language, text) not in seen:
                        seen.add((language, text))
                        examples.append(HeldOut(text, block["intent"], language))
        for example in extra:
            if (example.language, example.text) not in seen:
                seen.add((example.language, example.text))
                examples.append(HeldOut(example.text, example.topic, example.language))
        return examples

    async def train(self, examples: Sequence[LabelledExample], progress: Progress) -> TrainedModel:
        data = self.work_dir / "train" / "data"
        progress("preparing the training data")
        await asyncio.to_thread(
            prepare_training_data, self.paths.nlu_dir / "data", data, self.paths.data_dir
        )
        if examples:
            (data / "reviewed.yml").write_text(as_yaml(examples), encoding="utf-8")
        config = self.paths.nlu_dir / "config.yml"
        digest = hashlib.sha256(config.read_bytes())
        for path in sorted(data.rglob("*.yml")):
            digest.update(path.relative_to(data).as_posix().encode() + b"\0" + path.read_bytes())
        input_hash = digest.hexdigest()
        models = self.work_dir / "models"
        models.mkdir(parents=True, exist_ok=True)
        model = models / f"{input_hash[:16]}.tar.gz"
        started = time.perf_counter()
        if model.exists():
            progress("the same inputs were trained before")
            return TrainedModel(str(model), input_hash, 0.0)
        process = await asyncio.create_subprocess_exec(
            str((self.rasa_venv / "bin" / "rasa").resolve()),
            "train",
            "nlu",
            "--config",
            str(config.resolve()),
            "--nlu",
            str(data),
            "--out",
            str(models),
            "--fixed-model-name",
            input_hash[:16],
            cwd=self.work_dir,
            env=rasa_env(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        while True:
            try:
                await asyncio.wait_for(process.wait(), timeout=2)
                break
            except TimeoutError:
                progress(f"training ({time.perf_counter() - started:.0f} s)")
        if process.returncode != 0 or not model.exists():
            raise RuntimeError(f"rasa train exited with {process.returncode}")
        return TrainedModel(str(model), input_hash, time.perf_counter() - started)

    async def parse_with(
        self, model: str | None, texts: Sequence[str], progress: Progress
    ) -> list[Parse]:
        if model is None:
            return await self._parse_all(self.running, texts, progress)
        port, token = free_port(), secrets.token_urlsafe(24)
        log = self.work_dir / "scoring.log"
        process = start_process(self.rasa_venv, Path(model), "127.0.0.1", port, token, log)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                await wait_ready(client, token, process, self.startup_timeout, log)
                nlu = self.reading(RasaNLU(client, token, timeout=30))
                return await self._parse_all(nlu, texts, progress)
        finally:
            await asyncio.to_thread(stop_process, process)

    async def _parse_all(self, nlu: NLU, texts: Sequence[str], progress: Progress) -> list[Parse]:
        parses = []
        for index, text in enumerate(texts):
            if index % 50 == 0:
                progress(f"scoring {index}/{len(texts)}")
            parses.append(await nlu.parse(text))
        return parses


# The file under NLU_WORK_DIR naming the model promoted last, which a restart serves again.
ACTIVE = "active"


def active_model(work_dir: Path, shipped: Path) -> Path:
    """The model to start Rasa with: the one promoted last (named in NLU_WORK_DIR/active), or
    the shipped one when none was or its file is gone."""
    pointer = work_dir / ACTIVE
    try:
        named = Path(pointer.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        return shipped
    return named if named.is_absolute() and named.is_file() else shipped


class RasaModelServer:
    """The running Rasa server(s): one client each, the model file path as they see it (the
    same in every container: NLU_WORK_DIR is one volume mounted at one path, see README)."""

    def __init__(self, servers: Sequence[RasaNLU], shipped: Path, work_dir: Path) -> None:
        self.servers = list(servers)
        self._shipped = shipped
        self.work_dir = work_dir

    async def load(self, path: str) -> None:
        # An absolute path: the server's working directory is not ours.
        absolute = await asyncio.to_thread(lambda: str(Path(path).resolve()))
        for server in self.servers:
            await server.load_model(absolute)
        # Only once every server answers with it: a restart starts from it too.
        await asyncio.to_thread(self._remember, absolute)

    def _remember(self, absolute: str) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        pointer = self.work_dir / ACTIVE
        written = pointer.with_suffix(".new")
        written.write_text(absolute + "\n", encoding="utf-8")
        written.replace(pointer)  # atomic: a restart reads the old name or the new one

    def shipped(self) -> str:
        return str(self._shipped.resolve())
