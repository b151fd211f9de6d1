"""The writes on the path of every message, on real SQLite and PostgreSQL (issue 14): the row
kept for an answer's "that didn't help" tap is one statement outside a unit of work, with the
same values, and the tap finds it."""

from __future__ import annotations

import datetime as dt
import functools

from bot.core.nlu_review import NewItem
from bot.core.understanding import Reading
from bot.core.unit_of_work import UnitOfWork
from bot.services.nlu_review import NluReviewService
from bot.storage.access import Database, database_for
from bot.storage.db import make_engine
from bot.storage.nlu_review import SqlReviewQueue
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.auxil.schema import migrated

NOW = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)


class CountedUnits:
    """The units of work of `database`, counted."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.opened = 0

    def __call__(self) -> UnitOfWork:
        self.opened += 1
        return SqlUnitOfWork(self.database)


async def test_an_answer_is_kept_in_one_statement(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        database = database_for(engine)
        units = CountedUnits(database)
        review = NluReviewService(
            units, {"phishing"}, 0.5, dt.timedelta(days=30), answers=SqlReviewQueue(database)
        )
        sure = Reading("phishing", 0.9, best_guess="phishing")
        unsure = Reading("phishing", 0.3, best_guess="phishing")
        first = await review.answered("call me on +359 888 123 456", "en", sure, NOW, 42)
        second = await review.answered("is this phishing?", "en", unsure, NOW, 43)
        assert units.opened == 0
        assert second == first + 1
        # Only the unsure one is queued at once; both are kept as written, scrubbed.
        (queued,) = await review.queue("en")
        assert (queued.example.id, queued.example.text, queued.example.created_at) == (
            second,
            "is this phishing?",
            NOW,
        )
        assert not await review.not_helpful(first, 43)  # not the user it was answered to
        assert await review.not_helpful(first, 42)
        by_id = {i.id: i for i in await SqlReviewQueue(database).get([first, second])}
        assert by_id[first].source == "not_helpful"
        assert "888" not in by_id[first].text
        assert (by_id[first].guess, by_id[first].confidence) == ("phishing", 0.9)
    finally:
        await engine.dispose()


async def test_in_a_unit_of_work_the_row_is_in_its_transaction(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        database = database_for(engine)
        units = functools.partial(SqlUnitOfWork, database)
        async with units() as uow:
            await uow.nlu_review.add(NewItem("undone", "en", None, 0.1, "unplaced", NOW))
            # Not committed: rolled back on leaving.
        async with units() as uow:
            kept = await uow.nlu_review.add(NewItem("kept", "en", None, 0.1, "unplaced", NOW))
            await uow.commit()
        assert [i.text for i in await SqlReviewQueue(database).pending(None, 10)] == ["kept"]
        assert [i.id for i in await SqlReviewQueue(database).get([kept])] == [kept]
    finally:
        await engine.dispose()
