"""Unplaced messages: recorded without the sender, scrubbed, purged, exported for review."""

from __future__ import annotations

import datetime as dt

import yaml

from bot.core.messages import Incoming, finish
from bot.dialogue.router import Dialogue
from bot.storage.db import make_engine, make_sessions
from bot.storage.unanswered import SqlUnanswered, scrub
from tests.auxil.schema import migrated
from tests.fakes.core import FakeNLU, MemoryUnanswered, parse_of

T0 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)


def test_scrub_removes_contact_details() -> None:
    text = "call me on +359 88 123 4567 or mail ivan.petrov@abv.bg, card 4111 1111 1111 1111"
    scrubbed = scrub(text)
    assert "4567" not in scrubbed and "abv.bg" not in scrubbed and "4111" not in scrubbed
    assert scrubbed.count("<number>") == 2 and "<email>" in scrubbed


async def test_fallback_is_recorded_without_the_user(
    dialogue: Dialogue, nlu: FakeNLU, unanswered: MemoryUnanswered
) -> None:
    nlu.table["my smart fridge is sending spam"] = parse_of(("iot_security", 0.2))
    await dialogue.handle(Incoming(99, text="my smart fridge is sending spam"))
    assert unanswered.rows == [("my smart fridge is sending spam", "en", "iot_security", 0.2)]
    nlu.table["what is phishing"] = parse_of(("phishing", 0.9))
    await dialogue.handle(Incoming(99, text="what is phishing"))
    assert len(unanswered.rows) == 1


async def test_the_fallback_is_recorded_once_its_reply_is_on_its_way(
    dialogue: Dialogue, nlu: FakeNLU, unanswered: MemoryUnanswered
) -> None:
    """The channel hands the replies over first (Dialogue.respond), then runs the writes left
    for after them (bot.core.messages.finish): the two rows of an unplaced message are one."""
    nlu.table["my smart fridge is sending spam"] = parse_of(("iot_security", 0.2))
    outcome = await dialogue.respond(Incoming(99, text="my smart fridge is sending spam"))
    assert "fallback" in outcome.events and outcome.replies
    assert unanswered.rows == []
    await finish(outcome)
    assert unanswered.rows == [("my smart fridge is sending spam", "en", "iot_security", 0.2)]


async def test_store_purge_and_export(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        store = SqlUnanswered(make_sessions(engine), dt.timedelta(days=30))
        await store.record("is my fridge hacked", "en", "iot_security", 0.3, T0)
        await store.record("хладилникът ми праща спам", "bg", "iot_security", 0.2, T0)
        await store.record("old one", "en", None, 0.1, T0 - dt.timedelta(days=31))
        assert await store.purge(T0) == 1
        exported = await store.export()
        data = yaml.safe_load(exported)
        assert data["version"] == "3.1"
        blocks = {b["intent"]: b["examples"] for b in data["nlu"]}
        assert set(blocks) == {"iot_security"}
        assert "- хладилникът ми праща спам" in blocks["iot_security"]
        assert "DRAFT" in exported
    finally:
        await engine.dispose()
