"""Promotion survives a restart (issue 18): RasaModelServer names the model it loaded in
NLU_WORK_DIR/active once every server answers with it, and the embedded Rasa starts from that
model (bootstrap's nlu_connection asks active_model), or from the shipped one when none was
promoted or its file is gone. The servers here are RasaNLU clients over a mock transport."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.core.ports import NLUUnavailable
from bot.nlu.client import RasaNLU
from bot.nlu.lab import ACTIVE, RasaModelServer, active_model


def server(loaded: list[str], status: int = 204) -> RasaNLU:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "PUT" and request.url.path == "/model"
        loaded.append(json.loads(request.content)["model_file"])
        return httpx.Response(status)

    client = httpx.AsyncClient(base_url="http://rasa", transport=httpx.MockTransport(answer))
    return RasaNLU(client, "token", timeout=3)


async def test_the_promoted_model_is_started_again(tmp_path: Path) -> None:
    shipped = tmp_path / "nlu" / "models" / "nlu.tar.gz"
    work = tmp_path / "var" / "nlu"
    candidate = work / "models" / "abc.tar.gz"
    for model in (shipped, candidate):
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(b"model")
    assert active_model(work, shipped) == shipped  # nothing promoted yet

    first: list[str] = []
    second: list[str] = []
    models = RasaModelServer([server(first), server(second)], shipped, work)
    await models.load(str(candidate))
    assert first == second == [str(candidate.resolve())]  # every replica's server
    assert active_model(work, shipped) == candidate.resolve()

    await models.load(models.shipped())  # restored
    assert active_model(work, shipped) == shipped.resolve()

    await models.load(str(candidate))
    candidate.unlink()  # its file gone (a volume wiped): the shipped model, not a failure
    assert active_model(work, shipped) == shipped


async def test_a_refused_load_is_not_remembered(tmp_path: Path) -> None:
    shipped, work = tmp_path / "nlu.tar.gz", tmp_path / "work"
    shipped.write_bytes(b"model")
    with pytest.raises(NLUUnavailable):
        await RasaModelServer([server([], status=500)], shipped, work).load(str(shipped))
    assert not (work / ACTIVE).exists()
    work.mkdir()
    (work / ACTIVE).write_text("relative/path.tar.gz")  # only an absolute path is trusted
    assert active_model(work, shipped) == shipped
