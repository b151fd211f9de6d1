"""Promotion on real Rasa (issue 18): a candidate trained by RasaLab (a tiny training set, to
stay fast) is loaded into the running server with PUT /model while a steady stream of parses
goes on, at the bot's own timeout; not one parse fails, and the server answers with the new
model after it. The session's model is loaded back the same way at the end."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import httpx

from bot.core.nlu_models import HeldOut
from bot.core.nlu_review import LabelledExample
from bot.core.ports import NLUUnavailable
from bot.nlu.client import RasaNLU
from bot.nlu.lab import RasaLab, RasaModelServer, active_model
from bot.nlu.model import ModelPaths
from bot.settings import Settings
from tests.auxil.environment import MODEL, ROOT, RasaInfo

TINY = """version: "3.1"
nlu:
- intent: phishing
  examples: |
    - what is phishing
    - i got a fake email from my bank
    - an email asks for my password
    - is this email a scam
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: out_of_scope
  examples: |
    - what is the weather tomorrow
    - who won the match
    - recommend a film
"""


def tiny_lab(tmp_path: Path, running: RasaNLU) -> RasaLab:
    nlu_dir = tmp_path / "nlu"
    (nlu_dir / "data").mkdir(parents=True)
    (nlu_dir / "tests").mkdir()
    shutil.copy(ROOT / "nlu" / "config.yml", nlu_dir / "config.yml")
    (nlu_dir / "data" / "tiny.yml").write_text(TINY)
    return RasaLab(
        ModelPaths(nlu_dir, ROOT / "data"),
        tmp_path / "work",
        ROOT / ".venv-rasa",
        ["en", "bg"],
        running,
        lambda nlu: nlu,
    )


async def test_promotion_under_a_stream_of_parses_loses_none(
    rasa: RasaInfo, tmp_path: Path
) -> None:
    timeout = Settings.model_fields["rasa_timeout"].default  # the bot's own
    async with httpx.AsyncClient(base_url=rasa.url) as client:
        running = RasaNLU(client, rasa.token, timeout)
        lab = tiny_lab(tmp_path, running)
        progress: list[str] = []
        extra = [LabelledExample("my bank mailed me a strange link", "en", "phishing", False)]
        trained = await lab.train(extra, progress.append)
        assert await asyncio.to_thread(os.path.isfile, trained.path)
        assert str(tmp_path / "work") in trained.path
        reviewed = tmp_path / "work" / "train" / "data" / "reviewed.yml"
        assert progress
        assert await asyncio.to_thread(reviewed.exists)
        server = RasaModelServer([running], MODEL, tmp_path / "work")

        answered, failed = 0, 0
        stop = asyncio.Event()

        async def stream() -> None:
            nonlocal answered, failed
            while not stop.is_set():
                try:
                    await running.parse("someone asks for my card number by sms")
                    answered += 1
                except NLUUnavailable:
                    failed += 1
                await asyncio.sleep(0.02)

        streams = [asyncio.create_task(stream()) for _ in range(4)]
        try:
            await asyncio.sleep(1)
            started = time.perf_counter()
            await server.load(trained.path)
            promotion = time.perf_counter() - started
            during = answered
            await asyncio.sleep(1)
            tiny = await running.parse("hello")
            # A restart would start from the promoted model.
            promoted = await asyncio.to_thread(active_model, tmp_path / "work", MODEL)
            assert promoted == await asyncio.to_thread(Path(trained.path).resolve)
            started = time.perf_counter()
            await server.load(str(MODEL))  # the session's model again
            full = time.perf_counter() - started
            await asyncio.sleep(0.5)
        finally:
            stop.set()
            await asyncio.gather(*streams)
        print(
            f"promotion: tiny model {promotion:.1f} s, full model {full:.1f} s;"
            f" parses answered {answered}, failed {failed}"
        )
        assert failed == 0
        assert during > 0 and answered > during
        # The tiny model knows three intents only: the swap happened.
        assert {score.name for score in tiny.ranking} <= {"phishing", "greet", "out_of_scope"}
        assert len((await running.parse("what is smishing")).ranking) > 3  # back to the full one

        # The candidate is parsed by a server of its own, the running one by the running one.
        held = [HeldOut("what is phishing", "phishing", "en")]
        assert lab.held_out(extra[:0]) == []
        (mine,) = await lab.parse_with(trained.path, [h.text for h in held], progress.append)
        assert mine.ranking[0].name == "phishing"
