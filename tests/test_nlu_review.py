"""The NLU's review queue (issue 18) with fakes: what the chat puts in it (not understood,
answered with little confidence, "that didn't help"), grouping, decisions with who and when and
their audit entries, the roles, the deterministic held-out split."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.bootstrap import DialoguePorts
from bot.content.catalog import Catalog
from bot.core.domain_events import Origin
from bot.core.messages import Incoming, Outcome, finish
from bot.core.nlu_review import HELD_OUT_EVERY, is_held_out
from bot.core.roles import NotAllowed, Staff
from bot.core.understanding import Reading
from bot.dialogue.router import Dialogue
from bot.services.nlu_review import NluReviewService, UnknownTopic
from tests.auxil.dialogue import dialogue_on
from tests.fakes.core import FakeNLU, FixedClock, MemoryAudit, parse_of
from tests.fakes.nlu_review import MemoryReviewQueue, ReservingReviewQueue
from tests.fakes.unit_of_work import FakeUnitOfWork

NOW = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)
USER = 42
ADMIN = Staff(1, "admin")
VIEWER = Staff(3, "viewer")


def service(uow: FakeUnitOfWork, catalog: Catalog) -> NluReviewService:
    return NluReviewService(uow, catalog.taxonomy.topics, 0.5, dt.timedelta(days=30))


def reading(topic: str, confidence: float) -> Reading:
    return Reading(topic, confidence, best_guess=topic)


async def test_queue_groups_similar_messages_per_language_most_frequent_first(
    catalog: Catalog,
) -> None:
    uow = FakeUnitOfWork()
    review = service(uow, catalog)
    texts = [
        ("en", "they want my card number for a parcel"),
        ("en", "is the lottery win real"),
        ("en", "They want my card number for the parcel!"),
        ("bg", "искат ми номера на картата за колет"),
        ("en", "they want my card number for a parcel please"),
    ]
    for minute, (lang, text) in enumerate(texts):
        when = NOW + dt.timedelta(minutes=minute)
        await review.answered(text, lang, reading("smishing", 0.31), when, USER)
    groups = await review.queue(None)
    assert [(g.language, g.count) for g in groups] == [("en", 3), ("bg", 1), ("en", 1)]
    top = groups[0]
    assert top.example.text == "they want my card number for a parcel please"  # newest first
    assert top.guess == "smishing" and top.confidence == pytest.approx(0.31)
    assert [g.language for g in await review.queue("bg")] == ["bg"]


async def test_answered_messages_join_only_when_unsure_or_flagged(catalog: Catalog) -> None:
    uow = FakeUnitOfWork()
    review = service(uow, catalog)
    sure = await review.answered("what is phishing", "en", reading("phishing", 0.9), NOW, USER)
    await review.answered("phishy thing?", "en", reading("phishing", 0.35), NOW, USER)
    assert [g.example.source for g in await review.queue("en")] == ["low_confidence"]
    assert not await review.not_helpful(sure, USER + 1)  # someone else's answer
    assert await review.not_helpful(sure, USER)
    assert not await review.not_helpful(sure, USER)  # once
    assert not await review.not_helpful(999, USER)
    sources = sorted(str(g.example.source) for g in await review.queue("en"))
    assert sources == ["low_confidence", "not_helpful"]


async def test_scrubbed_before_it_is_kept(catalog: Catalog) -> None:
    uow = FakeUnitOfWork()
    review = service(uow, catalog)
    await review.answered(
        "mail me at ivan@example.com or +359 888 123 456", "en", reading("phishing", 0.2), NOW, USER
    )
    (group,) = await review.queue("en")
    assert "ivan@" not in group.example.text and "888" not in group.example.text


async def test_decisions_record_who_and_when_and_are_audited(catalog: Catalog) -> None:
    audit = MemoryAudit()
    uow = FakeUnitOfWork(audit=audit)
    review = service(uow, catalog)
    for text in ("parcel card", "parcel card number", "lottery"):
        await review.answered(text, "en", reading("out_of_scope", 0.2), NOW, USER)
    groups = await review.queue("en")
    parcel = next(g for g in groups if g.count == 2)
    origin = Origin(1, {"via": "test"}, staff=ADMIN)
    later = NOW + dt.timedelta(hours=1)
    assert await review.decide(parcel.ids, "assigned", "smishing", origin, later) == 2
    # Deciding again changes nothing and writes no second audit entry.
    assert await review.decide(parcel.ids, "dismissed", None, origin, later) == 0
    lottery = next(g for g in groups if g.count == 1)
    assert await review.decide(lottery.ids, "new_topic", "phishing", origin, later) == 1
    assert [g.count for g in await review.queue("en")] == []
    queue = uow.nlu_review
    assert isinstance(queue, MemoryReviewQueue)
    decided = {
        i.text: (i.decision, i.topic, i.decided_by, i.decided_at) for i in queue.items.values()
    }
    assert decided["parcel card"] == ("assigned", "smishing", 1, later)
    assert decided["lottery"] == ("new_topic", None, 1, later)  # no topic kept for a new one
    assert [e[1] for e in audit.rows] == ["nlu_review", "nlu_review"]
    assert audit.rows[0][2]["topic"] == "smishing" and audit.rows[0][2]["count"] == 2
    assert [i.text for i in await review.new_topics()] == ["lottery"]
    examples = await review.examples()
    assert sorted(e.text for e in examples) == ["parcel card", "parcel card number"]
    assert all(e.topic == "smishing" and e.language == "en" for e in examples)


async def test_refusals(catalog: Catalog) -> None:
    uow = FakeUnitOfWork()
    review = service(uow, catalog)
    item = await review.answered("x y z", "en", reading("phishing", 0.1), NOW, USER)
    with pytest.raises(UnknownTopic):
        await review.decide([item], "assigned", "not_a_topic", Origin(1, staff=ADMIN), NOW)
    with pytest.raises(NotAllowed):
        await review.decide([item], "dismissed", None, Origin(3, staff=VIEWER), NOW)
    scoped = Staff(4, "organiser", frozenset({"varna"}))
    with pytest.raises(NotAllowed):  # the messages belong to no region
        await review.decide([item], "dismissed", None, Origin(4, staff=scoped), NOW)
    assert uow.commits == 1  # only the recording


def test_one_in_five_is_held_out_whoever_labels_it() -> None:
    texts = [f"message number {i} about a parcel" for i in range(2000)]
    held = [t for t in texts if is_held_out(t)]
    assert 0.8 / HELD_OUT_EVERY < len(held) / len(texts) < 1.2 / HELD_OUT_EVERY
    assert all(is_held_out(t) for t in held)  # the same every time
    assert is_held_out(held[0].upper() + "  ") == is_held_out(held[0])


async def test_purge_keeps_labels(catalog: Catalog) -> None:
    uow = FakeUnitOfWork()
    review = service(uow, catalog)
    hidden = await review.answered("fine answer", "en", reading("phishing", 0.9), NOW, USER)
    old = await review.answered("old unsure", "en", reading("phishing", 0.2), NOW, USER)
    kept = await review.answered("labelled", "en", reading("phishing", 0.2), NOW, USER)
    await review.decide([kept], "assigned", "phishing", Origin(None), NOW)
    assert await review.purge(NOW + dt.timedelta(hours=2)) == 0
    assert await review.purge(NOW + dt.timedelta(days=2)) == 1  # the untapped answer
    assert await review.purge(NOW + dt.timedelta(days=31)) == 1  # the undecided one
    queue = uow.nlu_review
    assert isinstance(queue, MemoryReviewQueue)
    assert set(queue.items) == {kept} and hidden not in queue.items and old not in queue.items


# --- in the chat ------------------------------------------------------------------------------


async def test_the_chat_fills_the_queue_and_offers_that_did_not_help(
    dialogue: Dialogue, nlu: FakeNLU, dialogue_ports: DialoguePorts, catalog: Catalog
) -> None:
    nlu.table["what is phishing"] = parse_of(("phishing", 0.93), ("smishing", 0.03))
    nlu.table["blorp"] = parse_of(("out_of_scope", 0.9))
    outcome = await dialogue.handle(Incoming(USER, text="what is phishing"))
    buttons = [b for row in outcome.replies[0].buttons for b in row]
    tap = next(b for b in buttons if b.label == catalog.text("en", "button.not_helpful"))
    assert tap.data is not None and tap.data.startswith("nh:")
    await dialogue.handle(Incoming(USER, text="blorp"))
    thanks = await dialogue.handle(Incoming(USER, callback=tap.data))
    assert thanks.replies[0].text == catalog.text("en", "review.not_helpful_thanks")
    queue = dialogue_ports.units().nlu_review
    assert isinstance(queue, MemoryReviewQueue)
    found = {(i.text, i.source, i.guess) for i in await queue.pending(None, 10)}
    assert found == {
        ("what is phishing", "not_helpful", "phishing"),
        ("blorp", "unplaced", "out_of_scope"),
    }
    # A forged button for someone else's answer is thanked alike and changes nothing.
    other = await dialogue.handle(Incoming(USER, text="what is phishing"))
    forged = next(b for row in other.replies[0].buttons for b in row if b.label == tap.label)
    assert forged.data is not None
    reply = await dialogue.handle(Incoming(USER + 1, callback=forged.data))
    assert reply.replies[0].text == catalog.text("en", "review.not_helpful_thanks")
    assert len(await queue.pending(None, 10)) == 2
    (key,) = queue.tap_keys.values()  # a keyed hash, not who it was
    assert len(key) == 64 and key != str(USER)
    # An answer chosen from the menu has no such button: there is no typed message to review.
    menu_answer = await dialogue.handle(Incoming(USER, callback="t:phishing"))
    assert all(
        not (b.data or "").startswith("nh:") for row in menu_answer.replies[0].buttons for b in row
    )


def _not_helpful(outcome: Outcome, catalog: Catalog) -> str:
    label = catalog.text("en", "button.not_helpful")
    data = next(b.data for row in outcome.replies[0].buttons for b in row if b.label == label)
    assert data is not None and data.startswith("nh:")
    return data


async def test_an_answers_row_can_be_written_after_its_reply(
    catalog: Catalog, nlu: FakeNLU, clock: FixedClock, dialogue_ports: DialoguePorts
) -> None:
    """Where ids are handed out ahead (PostgreSQL), the row behind "that didn't help" is left
    for after the reply (`Dialogue.respond`); `handle` and `finish` write it, once; a tap that
    comes first writes it itself."""
    queue = dialogue_ports.units().nlu_review
    assert isinstance(queue, MemoryReviewQueue)
    answers = ReservingReviewQueue(queue)
    ports = dataclasses.replace(dialogue_ports, review_queue=answers)
    dialogue = dialogue_on(catalog, ports, nlu, clock)
    nlu.table["what is phishing"] = parse_of(("phishing", 0.93), ("smishing", 0.03))

    outcome = await dialogue.respond(Incoming(USER, text="what is phishing"))
    item = int(_not_helpful(outcome, catalog).split(":")[1])
    assert item > ReservingReviewQueue.FIRST_RESERVED and item not in queue.items
    await finish(outcome)
    await finish(outcome)  # a second run writes nothing more
    assert answers.written == [item] and queue.items[item].guess == "phishing"

    # The tap on a reply whose row is not written yet: written by the tap, then flagged.
    early = await dialogue.respond(Incoming(USER, text="what is phishing"))
    tap = _not_helpful(early, catalog)
    thanks = await dialogue.handle(Incoming(USER, callback=tap))
    assert thanks.replies[0].text == catalog.text("en", "review.not_helpful_thanks")
    tapped = int(tap.split(":")[1])
    assert queue.items[tapped].source == "not_helpful"
    await finish(early)
    assert answers.written == [item, tapped]

    # handle() leaves nothing for later.
    done = await dialogue.handle(Incoming(USER, text="what is phishing"))
    assert done.after == ()
    assert int(_not_helpful(done, catalog).split(":")[1]) == answers.written[-1]
    assert len(answers.written) == 3


async def test_an_answers_row_is_written_at_once_where_no_ids_are_reserved(
    dialogue: Dialogue, nlu: FakeNLU, dialogue_ports: DialoguePorts
) -> None:
    nlu.table["what is phishing"] = parse_of(("phishing", 0.93), ("smishing", 0.03))
    outcome = await dialogue.respond(Incoming(USER, text="what is phishing"))
    assert outcome.after == ()
    queue = dialogue_ports.units().nlu_review
    assert isinstance(queue, MemoryReviewQueue)
    assert [i.guess for i in queue.items.values()] == ["phishing"]
