"""Training and scoring through a Rasa server's HTTP API (issue 18), as in docker compose, where
the bot's image has no Rasa: a real Rasa server started with --enable-api (the session's
trainer) trains a candidate from a tiny data set plus a reviewed example (`POST /model/train`),
the bot writes it under NLU_WORK_DIR, the trainer loads it to score it (`PUT /model`), and the
server that answers users keeps its own model all along. Errors never carry the token."""

from __future__ import annotations

import asyncio
import tarfile
import time
from pathlib import Path

import httpx
import pytest
import yaml

from bot.core.nlu_review import LabelledExample
from bot.core.ports import NLUUnavailable
from bot.nlu.client import RasaNLU
from bot.nlu.lab import RasaServerLab, training_payload
from bot.nlu.model import ModelPaths
from tests.auxil.environment import ROOT, RasaInfo
from tests.test_nlu_swap import TINY, tiny_lab

pytestmark = pytest.mark.rasa


def server_lab(
    tmp_path: Path, running: RasaNLU, trainer: RasaInfo, token: str | None = None
) -> RasaServerLab:
    local = tiny_lab(tmp_path, running)  # the tiny project written under tmp_path
    return RasaServerLab(
        ModelPaths(local.paths.nlu_dir, ROOT / "data"),
        tmp_path / "work",
        ["en", "bg"],
        running,
        lambda nlu: nlu,
        trainer.url,
        token or trainer.token,
    )


def test_the_payload_holds_the_config_and_every_block(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny.yml").write_text(TINY)
    (data / "more.yml").write_text(
        'version: "3.1"\nnlu:\n- synonym: sms\n  examples: |\n    - text message\n'
    )
    payload = yaml.safe_load(training_payload(ROOT / "nlu" / "config.yml", data))
    config = yaml.safe_load((ROOT / "nlu" / "config.yml").read_text())
    assert payload["pipeline"] == config["pipeline"] and payload["language"] == config["language"]
    assert [next(iter(block)) for block in payload["nlu"]] == ["synonym"] + ["intent"] * 3
    assert payload["nlu"][1]["examples"].splitlines()[0] == "- what is phishing"


async def test_a_candidate_is_trained_and_scored_by_the_trainer_not_the_running_server(
    rasa: RasaInfo, rasa_trainer: RasaInfo, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=rasa.url) as client:
        running = RasaNLU(client, rasa.token, 30)
        lab = server_lab(tmp_path, running, rasa_trainer)
        progress: list[str] = []
        extra = [LabelledExample("my bank mailed me a strange link", "en", "phishing", False)]
        started = time.perf_counter()
        trained = await lab.train(extra, progress.append)
        print(f"trained over HTTP in {time.perf_counter() - started:.1f} s")
        model = Path(trained.path)
        assert model.parent == (tmp_path / "work" / "models").resolve()
        assert model.name == f"{trained.input_hash[:16]}.tar.gz" and trained.seconds > 0
        assert progress[0] == "preparing the training data"
        with tarfile.open(model) as archive:  # a whole Rasa model, written by the bot
            assert any(name.endswith("metadata.json") for name in archive.getnames())
        assert not list(model.parent.glob("*.part"))
        # The reviewed example was trained on, with the repository's (here: tiny) data.
        assert (
            "my bank mailed me a strange link"
            in (tmp_path / "work" / "train" / "data" / "reviewed.yml").read_text()
        )

        # The same inputs again: the model is reused, nothing is sent to the trainer.
        again = await lab.train(extra, progress.append)
        assert again.path == trained.path and again.seconds == 0.0

        # The candidate is scored by the trainer; the running server keeps the full model.
        (mine,) = await lab.parse_with(trained.path, ["what is phishing"], progress.append)
        assert mine.ranking[0].name == "phishing"
        assert {score.name for score in mine.ranking} <= {"phishing", "greet", "out_of_scope"}
        assert "loading the candidate" in progress
        (theirs,) = await lab.parse_with(None, ["what is smishing"], progress.append)
        assert len(theirs.ranking) > 3
        async with httpx.AsyncClient(base_url=rasa_trainer.url) as trainer:
            status = (await trainer.get("/status", params={"token": rasa.token})).json()
        assert Path(status["model_file"]).name == model.name


async def test_trainer_refusals_name_no_token(
    rasa: RasaInfo, rasa_trainer: RasaInfo, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=rasa_trainer.url) as client:
        wrong = RasaNLU(client, "not-the-token", 30)
        with pytest.raises(NLUUnavailable) as refused:
            await wrong.train_model(TINY)
        assert "401" in str(refused.value)
        trainer = RasaNLU(client, rasa_trainer.token, 30)
        with pytest.raises(NLUUnavailable) as bad:
            await trainer.train_model("nlu: [this is not training data")
        assert "HTTP 400 BadRequest" in str(bad.value)
        assert rasa_trainer.token not in str(bad.value)
        # A training that fails leaves no model behind for the lab to reuse.
        running = RasaNLU(client, rasa.token, 30)
        lab = server_lab(tmp_path, running, rasa_trainer, token="not-the-token")
        with pytest.raises(NLUUnavailable):
            await lab.train([], lambda line: None)
        assert not await asyncio.to_thread(lambda: list((tmp_path / "work" / "models").iterdir()))
