"""Rasa behind the model service's ports (issue 18): candidates trained from the repository's
data plus the reviewed examples, under NLU_WORK_DIR (never inside the package), either with
`rasa train nlu` from the Rasa environment (RasaLab, the embedded set-up) or by a Rasa server
of their own over its HTTP API (RasaServerLab, docker compose); held-out examples parsed by the
candidate (a short-lived Rasa server on loopback, or that trainer) and by the running server;
models loaded into the running server(s) with `PUT /model`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

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


class _Lab:
    """What both labs share: the held-out examples, the training data prepared under the work
    directory and its hash (a model of the same inputs is reused), progress while training."""

    def __init__(
        self,
        paths: ModelPaths,
        work_dir: Path,
        languages: Sequence[str],
        running: NLU,
        reading: Callable[[NLU], NLU],
    ) -> None:
        self.paths = paths
        self.work_dir = work_dir.resolve()
        self.languages = list(languages)
        self.running = running
        # The bot's way of asking (Latin-typed words read first), for candidate models too.
        self.reading = reading

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

    def _prepare(self, examples: Sequence[LabelledExample]) -> tuple[Path, str]:
        """The training data under the work directory; the hash of it and the config."""
        data = self.work_dir / "train" / "data"
        prepare_training_data(self.paths.nlu_dir / "data", data, self.paths.data_dir)
        if examples:
            (data / "reviewed.yml").write_text(as_yaml(examples), encoding="utf-8")
        digest = hashlib.sha256(self.config.read_bytes())
        for code in self.paths.components():
            digest.update(code.name.encode() + b"\0" + code.read_bytes())
        for path in sorted(data.rglob("*.yml")):
            digest.update(path.relative_to(data).as_posix().encode() + b"\0" + path.read_bytes())
        return data, digest.hexdigest()

    @property
    def config(self) -> Path:
        return self.paths.nlu_dir / "config.yml"

    async def train(self, examples: Sequence[LabelledExample], progress: Progress) -> TrainedModel:
        progress("preparing the training data")
        data, input_hash = await asyncio.to_thread(self._prepare, examples)
        models = self.work_dir / "models"
        await asyncio.to_thread(models.mkdir, parents=True, exist_ok=True)
        model = models / f"{input_hash[:16]}.tar.gz"
        started = time.perf_counter()
        if await asyncio.to_thread(model.exists):
            progress("the same inputs were trained before")
            return TrainedModel(str(model), input_hash, 0.0)
        training = asyncio.ensure_future(self._train(data, model))
        try:
            while not training.done():
                await asyncio.wait({training}, timeout=2)
                if not training.done():
                    progress(f"training ({time.perf_counter() - started:.0f} s)")
            training.result()
        finally:
            training.cancel()  # when this one is cancelled (no effect once it has ended)
        return TrainedModel(str(model), input_hash, time.perf_counter() - started)

    async def _train(self, data: Path, model: Path) -> None:
        """Train on `data` with the config; the model written to `model`."""
        raise NotImplementedError

    async def _parse_all(self, nlu: NLU, texts: Sequence[str], progress: Progress) -> list[Parse]:
        parses = []
        for index, text in enumerate(texts):
            if index % 50 == 0:
                progress(f"scoring {index}/{len(texts)}")
            parses.append(await nlu.parse(text))
        return parses


class RasaLab(_Lab):
    """The embedded set-up: `rasa train nlu` from the Rasa environment; a candidate scored by
    a short-lived Rasa server on loopback."""

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
        super().__init__(paths, work_dir, languages, running, reading)
        self.rasa_venv = rasa_venv
        self.startup_timeout = startup_timeout

    async def _train(self, data: Path, model: Path) -> None:
        process = await asyncio.create_subprocess_exec(
            str((self.rasa_venv / "bin" / "rasa").resolve()),
            "train",
            "nlu",
            "--config",
            str(self.config.resolve()),
            "--nlu",
            str(data),
            "--out",
            str(model.parent),
            "--fixed-model-name",
            model.name.removesuffix(".tar.gz"),
            cwd=self.work_dir,
            env=rasa_env(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await process.wait()
        except asyncio.CancelledError:
            process.kill()
            raise
        if process.returncode != 0 or not await asyncio.to_thread(model.exists):
            raise RuntimeError(f"rasa train exited with {process.returncode}")

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


class RasaServerLab(_Lab):
    """Docker compose's set-up (the bot's image has no Rasa): a Rasa server of its own, started
    with --enable-api, trains a candidate (`POST /model/train`; the bot writes the model it
    answers with under the work directory) and scores it (`PUT /model` with its path, which the
    trainer sees at the same path: NLU_WORK_DIR is one volume mounted at one path). The servers
    that answer users are never touched until a promotion, so scoring costs them nothing but
    the running model's own parses. The token stays in this process."""

    def __init__(
        self,
        paths: ModelPaths,
        work_dir: Path,
        languages: Sequence[str],
        running: NLU,
        reading: Callable[[NLU], NLU],
        trainer_url: str,
        token: str,
    ) -> None:
        super().__init__(paths, work_dir, languages, running, reading)
        self.trainer_url = trainer_url
        self._token = token

    @contextlib.asynccontextmanager
    async def _trainer(self) -> AsyncIterator[RasaNLU]:
        # A client per use: the model service runs in whichever event loop serves it.
        async with httpx.AsyncClient(base_url=self.trainer_url) as client:
            yield RasaNLU(client, self._token, timeout=30)

    async def _train(self, data: Path, model: Path) -> None:
        payload = await asyncio.to_thread(training_payload, self.config, data)
        async with self._trainer() as trainer:
            content = await trainer.train_model(payload)
        await asyncio.to_thread(_write_atomically, model, content)

    async def parse_with(
        self, model: str | None, texts: Sequence[str], progress: Progress
    ) -> list[Parse]:
        if model is None:
            return await self._parse_all(self.running, texts, progress)
        path = await asyncio.to_thread(lambda: str(Path(model).resolve()))
        async with self._trainer() as trainer:
            progress("loading the candidate")
            await trainer.load_model(path)
            return await self._parse_all(self.reading(trainer), texts, progress)


def training_payload(config: Path, data: Path) -> str:
    """One Rasa YAML document for `POST /model/train`: the config's keys and every NLU block
    (intents, synonyms, regexes, lookup tables) of the files under `data`."""
    payload: dict[str, Any] = dict(yaml.safe_load(config.read_text(encoding="utf-8")))
    payload["version"] = "3.1"
    blocks: list[Any] = []
    for path in sorted(data.rglob("*.yml")):
        blocks += (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
    payload["nlu"] = blocks
    return yaml.safe_dump(payload, allow_unicode=True, sort_keys=False, width=1000)


def _write_atomically(path: Path, content: bytes) -> None:
    # A model file exists only whole: the lab reuses any model whose file is there.
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    partial.replace(path)


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
