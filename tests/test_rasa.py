"""The real Rasa server (started once per session from the trained model) through the real
httpx client."""

from __future__ import annotations

import httpx
import pytest

from bot.core.understanding import Thresholds, interpret
from bot.nlu.client import RasaNLU
from tests.auxil.environment import RasaInfo

pytestmark = pytest.mark.rasa
THRESHOLDS = Thresholds(confidence=0.45, margin=0.1)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("hello there", "greet"),
        ("what is phishing", "phishing"),
        ("how do I make a strong password", "passwords"),
        ("where can I report a cyber attack", "report_incident"),
        ("thanks a lot", "thank"),
        ("здравейте", "greet"),
        ("какво е фишинг", "phishing"),
        ("как да си направя сигурна парола", "passwords"),
        ("къде да подам сигнал за измама в интернет", "report_incident"),
        ("благодаря", "thank"),
    ],
)
async def test_parses_english_and_bulgarian(rasa_nlu: RasaNLU, text: str, topic: str) -> None:
    reading = interpret(await rasa_nlu.parse(text), THRESHOLDS)
    assert reading.topic == topic, reading


@pytest.mark.parametrize("text", ["what's the weather in Sofia tomorrow", "кой спечели мача"])
async def test_off_topic_is_out_of_scope(rasa_nlu: RasaNLU, text: str) -> None:
    assert interpret(await rasa_nlu.parse(text), THRESHOLDS).topic == "out_of_scope"


async def test_url_entity(rasa_nlu: RasaNLU) -> None:
    parse = await rasa_nlu.parse("is this link safe http://dsk-bank-login.xyz/verify")
    assert any(e.name == "url" for e in parse.entities)


async def test_server_refuses_requests_without_its_token(rasa: RasaInfo) -> None:
    async with httpx.AsyncClient(base_url=rasa.url) as client:
        unauthenticated = await client.post("/model/parse", json={"text": "hi"})
        wrong = await client.post("/model/parse", params={"token": "nope"}, json={"text": "hi"})
        replace = await client.put("/model", json={"model_file": "/tmp/x.tar.gz"})
    assert unauthenticated.status_code == 401
    assert wrong.status_code == 401
    assert replace.status_code == 401


async def test_a_token_that_begins_with_a_dash_starts_the_server(rasa: RasaInfo) -> None:
    # The session's server was started with such a token (conftest): rasa's argument parser
    # must have taken it as the token's value, and requests carrying it are served.
    assert rasa.token.startswith("-")
    async with httpx.AsyncClient(base_url=rasa.url) as client:
        response = await client.get("/status", params={"token": rasa.token})
    assert response.status_code == 200
    assert response.json()["model_file"]
