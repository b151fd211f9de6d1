"""The NLU's review queue on real SQLite and PostgreSQL (issue 18): items in and out of the
queue, decisions once with who and when, purging, and the unit of work around a decision."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools

from bot.core.domain_events import Origin
from bot.core.nlu_review import NewItem
from bot.core.ports import AuditQuery
from bot.core.understanding import Reading
from bot.services.nlu_review import NluReviewService
from bot.storage.access import ReservedIds, database_for
from bot.storage.db import make_engine
from bot.storage.nlu_review import SqlReviewQueue
from bot.storage.organisers import SqlAudit
from bot.storage.schema import NluReviewItem
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.auxil.schema import migrated

NOW = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)


async def test_queue_on_both_databases(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        database = database_for(engine)
        queue = SqlReviewQueue(database)
        hidden = await queue.add(NewItem("fine", "en", "phishing", 0.9, None, NOW, "key-of-42"))
        unsure = await queue.add(NewItem("unsure", "en", "phishing", 0.3, "low_confidence", NOW))
        lost = await queue.add(NewItem("загубих се", "bg", None, 0.1, "unplaced", NOW))
        assert [i.id for i in await queue.pending(None, 10)] == [lost, unsure]
        assert [i.id for i in await queue.pending("bg", 10)] == [lost]
        assert not await queue.flag(hidden, "not_helpful", "key-of-43")  # not theirs
        assert await queue.flag(hidden, "not_helpful", "key-of-42")
        assert not await queue.flag(hidden, "not_helpful", "key-of-42")  # the key is gone
        assert not await queue.flag(12345, "not_helpful", "key-of-42")
        later = NOW + dt.timedelta(minutes=5)
        assert await queue.decide([hidden, unsure], "assigned", "phishing", 7, later) == 2
        assert await queue.decide([unsure, lost], "dismissed", None, 8, later) == 1
        (first, second) = await queue.get([hidden, unsure])
        assert second.decision == "assigned"
        assert (first.decision, first.topic, first.decided_by, first.decided_at) == (
            "assigned",
            "phishing",
            7,
            later,
        )
        assert [i.text for i in await queue.decided("assigned")] == ["fine", "unsure"]
        await queue.add(NewItem("never tapped", "en", "phishing", 0.9, None, NOW, "key-of-44"))
        unsure_tapped = await queue.add(
            NewItem("unsure too", "en", None, 0.2, "low_confidence", NOW, "k")
        )
        # A day on, the untapped answer goes; labelled ones stay whatever their age.
        assert await queue.purge(NOW + dt.timedelta(days=2), dt.timedelta(days=30)) == 1
        # The queued one stays, but its tap key is forgotten after the tap window.
        assert not await queue.flag(unsure_tapped, "not_helpful", "k")
        await queue.decide([unsure_tapped], "new_topic", None, 7, later)
        assert await queue.purge(NOW + dt.timedelta(days=40), dt.timedelta(days=30)) == 1
        assert [i.text for i in await queue.decided("assigned")] == ["fine", "unsure"]
    finally:
        await engine.dispose()


async def test_the_service_on_the_unit_of_work(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        database = database_for(engine)
        review = NluReviewService(
            functools.partial(SqlUnitOfWork, database),
            {"phishing", "smishing"},
            0.5,
            dt.timedelta(days=30),
        )
        reading = Reading("phishing", 0.4, best_guess="phishing")
        for text in ("a parcel wants my card", "a parcel wants my card number", "my card?"):
            await review.answered(text, "en", reading, NOW, 42)
        groups = await review.queue("en")
        assert [g.count for g in groups] == [2, 1]
        done = await review.decide(groups[0].ids, "assigned", "smishing", Origin(5), NOW)
        assert done == 2
        entries, total = await SqlAudit(database).search(AuditQuery(action="nlu_review"))
        assert total == 1 and entries[0].actor == 5
        assert {e.text for e in await review.examples()} == {
            "a parcel wants my card",
            "a parcel wants my card number",
        }
    finally:
        await engine.dispose()


async def test_ids_handed_out_ahead_of_their_rows(database_url: str) -> None:
    """PostgreSQL: an answer's id comes from the id's sequence before its row is written (the
    row follows the reply); no other row, written at once or later, by this access object or
    another process's, gets it. SQLite: none are handed out, the row is written at once."""
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        database = database_for(engine)
        queue = SqlReviewQueue(database)
        reserved = await queue.reserve()
        if engine.dialect.name == "sqlite":
            assert reserved is None
            assert await ReservedIds(database, NluReviewItem.id).take() is None
            return
        assert reserved is not None
        at_once = await queue.add(NewItem("now", "en", "phishing", 0.9, None, NOW, "key-of-1"))
        await queue.add_as(
            reserved, NewItem("later", "en", "phishing", 0.3, "low_confidence", NOW, "k2")
        )
        assert at_once != reserved
        assert [i.text for i in await queue.get([reserved])] == ["later"]
        assert [i.id for i in await queue.pending("en", 10)] == [reserved]
        assert await queue.flag(reserved, "not_helpful", "k2")

        # Two processes' blocks (3 ids each, so several refills) and plain INSERTs between.
        mine = ReservedIds(database, NluReviewItem.id, block=3)
        theirs = ReservedIds(database_for(engine), NluReviewItem.id, block=3)
        taken: list[int] = []
        for n in range(7):
            for ids in (mine, theirs):
                item = await ids.take()
                assert item is not None
                taken.append(item)
            taken.append(await queue.add(NewItem(f"at once {n}", "en", None, 0.1, "unplaced", NOW)))
        assert len(set(taken)) == len(taken)

        # Many waiting at once on an empty block: one round trip fills it for all of them.
        calls: list[int] = []
        reserve_ids = database.reserve_ids

        async def counted(column: object, count: int) -> list[int]:
            calls.append(count)
            return await reserve_ids(column, count)

        database.reserve_ids = counted  # type: ignore[method-assign]
        together = ReservedIds(database, NluReviewItem.id, block=20)
        got = await asyncio.gather(*(together.take() for _ in range(20)))
        assert calls == [20] and len(set(got)) == 20
    finally:
        await engine.dispose()
