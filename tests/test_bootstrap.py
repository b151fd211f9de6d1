"""bootstrap(settings, **overrides) builds the whole application; what a test passes in is what
the dialogue uses, and nothing of Rasa is opened when the NLU is given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import inspect

from bot.bootstrap import bootstrap, open_storage
from bot.core.messages import Incoming
from bot.storage.users import SqlUsers
from tests.auxil.telegram_bot import settings_for
from tests.fakes.core import FakeNLU, FixedClock, parse_of

NOW = dt.datetime(2030, 10, 7, 9, 30, tzinfo=dt.UTC)


async def test_the_dialogue_uses_the_nlu_and_clock_passed_in(tmp_path: Path) -> None:
    nlu = FakeNLU()
    # RASA_URL points at a closed port: had bootstrap tried Rasa, it would have failed.
    async with bootstrap(settings_for(tmp_path), nlu=nlu, clock=FixedClock(NOW)) as services:
        outcome = await services.dialogue.handle(Incoming(user_id=7, text="what is a botnet"))
        user = await SqlUsers(services.sessions).get(7)
        assert services.nlu_healthy is None
    assert outcome.replies
    assert nlu.seen == ["what is a botnet"]
    assert user is not None
    assert user.first_seen == NOW


async def test_open_storage_gives_a_migrated_database(tmp_path: Path) -> None:
    async with open_storage(settings_for(tmp_path)) as storage:
        async with storage.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert storage.catalog.default_language == "en"
    assert {"users", "events", "outbox"} <= set(tables)


async def test_latin_typed_bulgarian_is_read_and_answered_in_bulgarian(tmp_path: Path) -> None:
    # "spri savetite" has none of the marker words: it is Bulgarian because its words spell
    # Bulgarian words, so the NLU is asked in Cyrillic and the answer comes in Bulgarian, to a
    # user whose Telegram is in English.
    nlu = FakeNLU({"спри съветите": parse_of(("unsubscribe_tips", 0.95))})
    async with bootstrap(settings_for(tmp_path), nlu=nlu, clock=FixedClock(NOW)) as services:
        outcome = await services.dialogue.handle(
            Incoming(user_id=8, text="spri savetite", platform_language="en")
        )
        expected = services.catalog.text("bg", "sub.not_subscribed")
    assert nlu.seen == ["спри съветите"]
    assert outcome.language == "bg"
    assert outcome.replies[0].text == expected
