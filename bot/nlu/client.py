"""Asks a Rasa server to parse a message, within a bounded time."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bot.core.ports import Entity, IntentScore, NLUUnavailable, Parse

# Loading a model takes seconds to a minute on a small machine.
LOAD_TIMEOUT = 300.0
# Training the full model takes minutes on 2 cores (docs/benchmarks.md); Rasa answers a
# request within an hour (its own response timeout).
TRAIN_TIMEOUT = 3600.0


class RasaNLU:
    """The NLU port over Rasa's HTTP API (`POST /model/parse?token=...`)."""

    def __init__(self, client: httpx.AsyncClient, token: str, timeout: float) -> None:
        self._client = client
        self._token = token
        self._timeout = timeout
        self.last_latency: float | None = None

    async def healthy(self) -> bool:
        """The server answers with a loaded model (for /healthz)."""
        try:
            response = await self._client.get(
                "/status", params={"token": self._token}, timeout=self._timeout
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and bool(response.json().get("model_file"))

    async def load_model(self, path: str) -> None:
        """Make the server answer with the model file at `path` (`PUT /model`, issue 18): Rasa
        keeps answering with the old model until the new one is loaded, then swaps them."""
        try:
            response = await self._client.put(
                "/model",
                params={"token": self._token},
                json={"model_file": path},
                timeout=LOAD_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise NLUUnavailable(type(exc).__name__) from None
        if response.status_code != 204:
            raise NLUUnavailable(f"loading the model: HTTP {response.status_code}")

    async def train_model(self, payload: str) -> bytes:
        """A model trained by the server (`POST /model/train`, issue 18) from `payload`, Rasa
        YAML holding the config and the NLU data; the model file's bytes. The server keeps
        answering with its own model: the new one is only returned, not loaded nor saved."""
        try:
            response = await self._client.post(
                "/model/train",
                params={"token": self._token, "save_to_default_model_directory": "false"},
                content=payload.encode("utf-8"),
                headers={"Content-Type": "application/x-yaml"},
                timeout=TRAIN_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise NLUUnavailable(type(exc).__name__) from None
        if response.status_code != 200:
            raise NLUUnavailable(f"training: HTTP {response.status_code} {_reason(response)}")
        return response.content

    async def parse(self, text: str) -> Parse:
        started = time.perf_counter()
        try:
            response = await self._client.post(
                "/model/parse",
                params={"token": self._token},
                json={"text": text},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            # The exception's text can carry the request URL and so the token: keep the type only.
            raise NLUUnavailable(type(exc).__name__) from None
        finally:
            self.last_latency = time.perf_counter() - started
        if response.status_code != 200:
            raise NLUUnavailable(f"HTTP {response.status_code}")
        try:
            return parse_response(response.json())
        except (ValueError, KeyError, TypeError) as exc:
            raise NLUUnavailable(f"malformed answer: {type(exc).__name__}") from None


def _reason(response: httpx.Response) -> str:
    """Rasa's error name ("BadRequest", "TrainingError"): never the URL, which holds the token."""
    try:
        return str(response.json().get("reason", ""))[:80]
    except (ValueError, AttributeError):
        return ""


def parse_response(data: dict[str, Any]) -> Parse:
    ranking = data.get("intent_ranking") or ([data["intent"]] if data.get("intent") else [])
    return Parse(
        ranking=tuple(
            IntentScore(str(item["name"]), float(item["confidence"]))
            for item in ranking
            if item.get("name")
        ),
        entities=tuple(
            Entity(str(item["entity"]), str(item["value"])) for item in data.get("entities", [])
        ),
    )
