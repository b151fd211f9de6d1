"""A free-text webhook update on PostgreSQL is handled while its commit is flushed
(bot/storage/receipt.py): the handling starts once the store's reads are back, and nothing
reaches Telegram, the database or the webhook's 200 before the commit is done. The commit is
held (or refused) by the database itself: a deferred constraint trigger on the inbound table,
run at COMMIT, that waits for an advisory lock the test holds (or raises)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import psycopg
import pytest

from bot.channels import telegram as telegram_channel
from bot.core.ports import Parse
from bot.storage import receipt
from bot.storage.access import PostgresDatabase, database_for
from bot.storage.db import migrate
from bot.storage.schema import InboundUpdate
from tests.auxil.held_commit import commits_held, hold_commits_of, release
from tests.auxil.telegram_bot import settings_for
from tests.auxil.webhook import Healthy, post, webhook
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.core import FakeNLU

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

USER = 5151
REFUSED = "refuse me"  # a text whose commit the database refuses


class NotedNLU(FakeNLU):
    """Says when the dialogue first asks it: the handling has started."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()

    async def parse(self, text: str) -> Parse:
        self.asked.set()
        return await super().parse(text)


def hold_inbound_commits(url: str) -> None:
    refused = f"NEW.payload -> 'message' ->> 'text' = '{REFUSED}'"
    hold_commits_of(url, InboundUpdate.__tablename__, refused)


def stored(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {InboundUpdate.__tablename__}").fetchone()
        assert row is not None
        return int(row[0])


async def test_handled_during_the_commit_and_nothing_out_before_it(
    tmp_path: Path, new_postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, nlu = FakeBotAPI(), NotedNLU()
    url = new_postgres_database
    migrate(url)
    hold_inbound_commits(url)
    at_gate = asyncio.Event()

    async def noted_wait() -> None:
        at_gate.set()
        await receipt.until_stored()

    # The channel's wait before it sends: noted, then the real one.
    monkeypatch.setattr(telegram_channel, "until_stored", noted_wait)
    settings = settings_for(tmp_path, database_url=url)
    async with webhook(tmp_path, api, Healthy(), settings=settings, nlu=nlu) as (
        server,
        client,
        services,
    ):
        assert isinstance(database_for(services.sessions), PostgresDatabase)
        with commits_held(url) as holder:
            posting = asyncio.create_task(
                post(client, api.message_update(USER, "what is phishing"))
            )
            # The worker has the update (the dialogue asked the NLU) while its commit waits,
            # and its reply is ready, waiting for the commit.
            await asyncio.wait_for(nlu.asked.wait(), 20)
            await asyncio.wait_for(at_gate.wait(), 20)
            assert not posting.done()  # no 200 before the commit
            assert api.messages_to(USER) == []  # no reply
            assert stored(url) == 0  # and nothing committed yet
            release(holder)
        assert await posting == 200
        await asyncio.wait_for(server.queue.join(), 20)
        assert api.messages_to(USER)  # the reply, once the commit was done
        assert stored(url) <= 1  # handled, and deleted with the next batch


async def test_a_refused_commit_answers_503_and_sends_nothing(
    tmp_path: Path, new_postgres_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    api, nlu = FakeBotAPI(), NotedNLU()
    url = new_postgres_database
    migrate(url)
    hold_inbound_commits(url)
    settings = settings_for(tmp_path, database_url=url)
    async with webhook(tmp_path, api, Healthy(), settings=settings, nlu=nlu) as (
        server,
        client,
        _services,
    ):
        assert await post(client, api.message_update(USER, REFUSED)) == 503
        await asyncio.wait_for(server.queue.join(), 20)
        assert api.messages_to(USER) == []
        assert stored(url) == 0
        # Logged once, by the webhook's store; the handling it stopped is not logged again.
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert [r.getMessage() for r in errors] == [
            "storing webhook updates fails; Telegram will send them again"
        ]
        # The store works again for the next update, on the same connections.
        assert await post(client, api.message_update(USER, "what is phishing")) == 200
        await asyncio.wait_for(server.queue.join(), 20)
        assert api.messages_to(USER)  # the reply, once the commit was done
