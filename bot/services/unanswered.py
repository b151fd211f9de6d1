"""Recording a message the bot could not place, from any entrypoint that reads messages."""

from __future__ import annotations

import datetime as dt

from bot.core.nlu_review import NewItem
from bot.core.unanswered import scrub
from bot.core.understanding import Reading
from bot.core.unit_of_work import UnitsOfWork


class UnansweredService:
    def __init__(self, units: UnitsOfWork) -> None:
        self.units = units

    async def record(self, text: str, language: str, reading: Reading, now: dt.datetime) -> None:
        # Scrubbed here, so no store (a test's fake included) ever holds an address or a number.
        kept = scrub(text)
        async with self.units() as uow:
            await uow.unanswered.record(kept, language, reading.best_guess, reading.confidence, now)
            # The NLU's review queue (issue 18) takes it in the same transaction.
            await uow.nlu_review.add(
                NewItem(kept, language, reading.best_guess, reading.confidence, "unplaced", now)
            )
            await uow.commit()
