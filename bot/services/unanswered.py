"""Recording a message the bot could not place, from any entrypoint that reads messages."""

from __future__ import annotations

import datetime as dt

from bot.core.ports import Unanswered
from bot.core.unanswered import scrub
from bot.core.understanding import Reading


class UnansweredService:
    def __init__(self, store: Unanswered) -> None:
        self.store = store

    async def record(self, text: str, language: str, reading: Reading, now: dt.datetime) -> None:
        # Scrubbed here, so no store (a test's fake included) ever holds an address or a number.
        await self.store.record(scrub(text), language, reading.best_guess, reading.confidence, now)
