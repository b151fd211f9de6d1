"""Fakes of the model service's ports (issue 18): a lab whose running model misses the parcel
SMS and whose candidates answer as a test sets them, and a server that records what it loaded."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.nlu_models import HeldOut, Progress, TrainedModel
from bot.core.nlu_review import LabelledExample
from bot.core.ports import Parse
from tests.fakes.core import parse_of

HELD = [
    HeldOut("what is phishing", "phishing", "en"),
    HeldOut("sms about a parcel", "smishing", "en"),
    HeldOut("какво е фишинг", "phishing", "bg"),
    HeldOut("времето утре", "out_of_scope", "bg"),
]


class FakeLab:
    """The running model misses the parcel SMS; a candidate's answers are set per test."""

    def __init__(self) -> None:
        self.candidate: dict[str, str] = {}
        self.release = asyncio.Event()
        self.release.set()
        self.trained_on: list[LabelledExample] = []
        self.extra: list[LabelledExample] = []

    def held_out(self, extra: Sequence[LabelledExample]) -> list[HeldOut]:
        self.extra = list(extra)
        return HELD + [HeldOut(e.text, e.topic, e.language) for e in extra]

    async def train(self, examples: Sequence[LabelledExample], progress: Progress) -> TrainedModel:
        progress("training")
        self.trained_on = list(examples)
        await self.release.wait()
        return TrainedModel("/srv/var/nlu/models/abc.tar.gz", "abc", 1.5)

    async def parse_with(
        self, model: str | None, texts: Sequence[str], progress: Progress
    ) -> list[Parse]:
        running = {"sms about a parcel": "phishing"}
        table = running if model is None else self.candidate
        return [parse_of((table.get(text, self._gold(text)), 0.9)) for text in texts]

    def _gold(self, text: str) -> str:
        return (
            next(h.intent for h in HELD if h.text == text)
            if any(h.text == text for h in HELD)
            else "out_of_scope"
        )


class FakeServer:
    def __init__(self) -> None:
        self.loaded: list[str] = []

    async def load(self, path: str) -> None:
        self.loaded.append(path)

    def shipped(self) -> str:
        return "/app/nlu/models/nlu.tar.gz"
