"""Fakes for the message check (issue 16): the store of kept messages, the screenshot reader and
the published alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core.alerts import AlertMatch
from bot.core.ports import CheckedMessage, ImageProblem, ImageUnreadable


class MemoryCheckedMessages:
    def __init__(self) -> None:
        self.rows: list[tuple[int, CheckedMessage, dt.datetime]] = []

    async def keep(self, user_id: int, message: CheckedMessage, now: dt.datetime) -> None:
        self.rows.append((user_id, message, now))


class FakeImageReader:
    """Reads the text it was given for an image's bytes; any other image raises `problem`."""

    def __init__(self, texts: dict[bytes, str], problem: ImageProblem = "no_text") -> None:
        self.texts = texts
        self.problem: ImageProblem = problem
        self.asked: list[tuple[bytes, tuple[str, ...]]] = []

    async def read(self, image: bytes, languages: Sequence[str]) -> str:
        self.asked.append((image, tuple(languages)))
        if image not in self.texts:
            raise ImageUnreadable(self.problem)
        return self.texts[image]


class FakeAlerts:
    """Matches a message that contains one of its phrases."""

    def __init__(self, phrases: dict[str, AlertMatch]) -> None:
        self.phrases = phrases

    async def match(self, text: str, language: str) -> AlertMatch | None:
        return next((m for p, m in self.phrases.items() if p in text), None)
