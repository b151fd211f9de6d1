"""A free-text update stored by the webhook together with its first reads (PostgreSQL, bot/
storage/first_reads.py `store_and_read`): the same rows and the same reads as the store and then
the reads; a resent update counts nothing; the reads handed to the dialogue once, read again
when the handling starts late; the webhook counts each message once; and the channel picks out
exactly the updates its text handler takes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.request import HTTPXRequest

from bot.channels.telegram import TelegramChannel, build_application
from bot.core.flood import FloodLimit, Verdict
from bot.core.ports import PendingInput
from bot.dialogue.router import Dialogue
from bot.storage.access import Database, PostgresDatabase, database_for
from bot.storage.db import make_sessions
from bot.storage.first_reads import FRESH_FOR, PgFirstReads, use
from bot.storage.inbound import SqlInbound
from bot.storage.schema import FloodWindow, InboundUpdate
from bot.storage.subscriptions import SqlConversations
from bot.storage.users import SqlUsers
from tests.auxil.telegram_bot import BASE_URL, settings_for
from tests.auxil.webhook import Healthy, post, webhook
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI

T0 = dt.datetime(2026, 10, 12, 9, 0, 0, 123456, tzinfo=dt.UTC)
SOFIA = dt.timezone(dt.timedelta(hours=2))
LIMIT = FloodLimit(messages=3, window=dt.timedelta(seconds=10))
LEASE = dt.timedelta(seconds=30)
PAYLOAD: dict[str, Any] = {"update_id": 1, "message": {"text": "здравей", "n": [1, 2]}}


@pytest.fixture
def engine(migrated_postgres_engine: AsyncEngine) -> AsyncEngine:
    return migrated_postgres_engine


def inbound_values(update_id: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "payload": {**PAYLOAD, "update_id": update_id},
        "received_at": now,
        "claimed_until": now + LEASE,
    }


async def flood_count(database: Database, user_id: int) -> int | None:
    async with database.reading() as session:
        count: int | None = await session.scalar(
            select(FloodWindow.count).where(FloodWindow.user_id == user_id)
        )
        return count


async def stored_row(database: Database, update_id: int) -> tuple[Any, ...] | None:
    async with database.reading() as session:
        row = (
            await session.execute(
                select(
                    InboundUpdate.payload, InboundUpdate.received_at, InboundUpdate.claimed_until
                ).where(InboundUpdate.update_id == update_id)
            )
        ).first()
        return tuple(row) if row is not None else None


@pytest.mark.postgres
async def test_stored_and_read_at_once_as_stored_then_read(engine: AsyncEngine) -> None:
    sessions = make_sessions(engine)
    direct = database_for(sessions)
    assert isinstance(direct, PostgresDatabase)
    # The direct path, and the same statement through SQLAlchemy's own path.
    for database in (direct, Database(sessions)):
        first = PgFirstReads(database, LIMIT)
        inbound, users = SqlInbound(database), SqlUsers(database)
        conversations = SqlConversations(database)
        # User `one` stored and read at once, user `two` stored and then read, at the same times.
        base = 100 if database is direct else 200
        one, two = base + 1, base + 2
        seconds = (0, 1, 2, 3, 4, 5, 16, 60 * 16, 60 * 16 + 1, 60 * 40)
        for n, second in enumerate(seconds):
            now = (T0 + dt.timedelta(seconds=second)).astimezone(SOFIA if n % 2 else dt.UTC)
            early = await first.store_and_read(inbound_values(1000 * one + n, now), one, "bg", now)
            assert early is not None
            assert await inbound.store(1000 * two + n, PAYLOAD, now, LEASE)
            expected = await first.read(two, "bg", now)
            assert early.verdict == expected[0], (n, second)
            assert early.user is not None
            assert (early.user.language, early.user.first_seen, early.user.last_seen) == (
                expected[1].language,
                expected[1].first_seen,
                expected[1].last_seen,
            )
            assert early.user.region == expected[1].region
            assert (early.user_id, early.at, early.pending) == (one, now, expected[2])
            assert early.user == await users.get(one)
            mine, theirs = (
                await stored_row(database, 1000 * one + n),
                await stored_row(database, 1000 * two + n),
            )
            assert mine is not None and theirs is not None
            assert mine[1:] == theirs[1:] == (now, now + LEASE)
            assert mine[0] == {**PAYLOAD, "update_id": 1000 * one + n}
            if n == 2:  # a region, a language of the user's choice and a pending question
                data: dict[str, Any] = {"step": "ask", "n": 3, "list": [1, "два"]}
                for who in (one, two):
                    await users.set_region(who, "Пловдив")
                    await users.set_language(who, "en")
                    await conversations.set(who, PendingInput("link", data), now)
        assert early is not None and early.pending == PendingInput("link", data)
        # Telegram resending the last update: nothing stored again, nothing counted or touched.
        counted = await flood_count(database, one)
        later = now + dt.timedelta(hours=1)
        resent = await first.store_and_read(inbound_values(1000 * one + n, later), one, "bg", later)
        assert resent is None
        assert await flood_count(database, one) == counted
        assert (await stored_row(database, 1000 * one + n)) == mine
        assert (await users.get(one)) == early.user


@pytest.mark.postgres
async def test_a_new_users_first_update_makes_the_user(engine: AsyncEngine) -> None:
    database = database_for(engine)
    first = PgFirstReads(database, FloodLimit(messages=2))
    verdicts = []
    for n in range(4):
        early = await first.store_and_read(inbound_values(n + 1, T0), 7, "en", T0)
        assert early is not None and early.user is not None
        assert (early.user.language, early.user.first_seen, early.pending) == ("en", T0, None)
        verdicts.append(early.verdict)
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTICE, Verdict.DROP]


@pytest.mark.postgres
async def test_the_reads_are_handed_once_and_read_again_when_late(engine: AsyncEngine) -> None:
    database = database_for(engine)
    first = PgFirstReads(database, LIMIT)
    users, conversations = SqlUsers(database), SqlConversations(database)
    early = await first.store_and_read(inbound_values(1, T0), 5, "en", T0)
    assert early is not None and await flood_count(database, 5) == 1
    with use(early):
        # Another user's reads are their own.
        assert (await first.read(6, "en", T0))[0] is Verdict.ALLOW
        assert await flood_count(database, 6) == 1
        # Handed, not counted again; once only.
        assert await first.read(5, "en", T0) == (early.verdict, early.user, None)
        assert await flood_count(database, 5) == 1
        await first.read(5, "en", T0)
        assert await flood_count(database, 5) == 2
    # Outside its handling the reads are not handed.
    await first.read(5, "en", T0)
    assert await flood_count(database, 5) == 3
    # Handled late: the user and the pending question read again, the count kept.
    early = await first.store_and_read(inbound_values(2, T0), 5, "en", T0)
    assert early is not None and early.verdict is Verdict.NOTICE
    late = T0 + FRESH_FOR
    await conversations.set(5, PendingInput("quiz", {"q": "2"}), late)
    await users.set_language(5, "bg")
    with use(early):
        verdict, user, pending = await first.read(5, "en", late)
    assert (verdict, user.language, pending) == (
        Verdict.NOTICE,
        "bg",
        PendingInput("quiz", {"q": "2"}),
    )
    assert await flood_count(database, 5) == 4


@pytest.mark.postgres
@pytest.mark.timeout(120)
async def test_the_webhook_counts_each_message_once(
    tmp_path: Path, new_postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeBotAPI()
    settings = settings_for(tmp_path, database_url=new_postgres_database)
    made: list[bool] = []
    store_and_read = PgFirstReads.store_and_read_before_commit

    async def noted(self: PgFirstReads, *args: Any) -> Any:
        early, committed = await store_and_read(self, *args)
        made.append(early is not None)
        return early, committed

    monkeypatch.setattr(PgFirstReads, "store_and_read_before_commit", noted)
    user = 4242
    async with webhook(tmp_path, api, Healthy(), settings=settings) as (server, client, services):
        texts = [api.message_update(user, text) for text in ("hello", "what is phishing", "ok")]
        for update in texts:
            assert await post(client, update) == 200
        assert await post(client, texts[1]) == 200  # Telegram resending one
        assert await post(client, api.message_update(user, "/help")) == 200
        await asyncio.wait_for(server.queue.join(), 20)
        # Three texts stored with their reads, the resent one stored before; the command
        # stored alone.
        assert made == [True, True, True, False]
        assert len(api.messages_to(user)) >= 4
        # Three texts and a command: four messages counted, none twice.
        assert await flood_count(database_for(services.sessions), user) == 4


UPDATES: tuple[tuple[str, Callable[[FakeBotAPI], dict[str, Any]]], ...] = (
    ("text", lambda api: api.message_update(11, "hello there")),
    ("command", lambda api: api.message_update(11, "/help")),
    ("group text", lambda api: api.message_update(11, "hello", chat_type="group")),
    ("no language", lambda api: api.message_update(11, "hi", language_code=None)),
    ("Bulgarian", lambda api: api.message_update(11, "здравей", language_code="bg")),
    ("forwarded", lambda api: api.message_update(11, "you won", forwarded=True)),
    ("document", lambda api: api.document_update(11, b"x", "a.pdf", "application/pdf", "see")),
    ("image file", lambda api: api.document_update(11, b"x", "a.png", "image/png", "see")),
    ("callback", lambda api: api.callback_update(11, "m:menu")),
)


async def test_the_channel_picks_the_updates_its_text_handler_takes() -> None:
    class Reads:
        first_reads: object | None = object()

        def platform_language(self, code: str | None) -> str:
            return f"lang:{code}"

    api = FakeBotAPI()
    channel = TelegramChannel(cast(Dialogue, Reads()), cast(Any, None))
    application = build_application(
        FAKE_TOKEN, BASE_URL, channel, HTTPXRequest(httpx_kwargs={"transport": api.transport()})
    )
    handlers = application.handlers[0]
    for name, make in UPDATES:
        update = Update.de_json(make(api), application.bot)
        taker = next((h for h in handlers if h.check_update(update)), None)
        sender = channel.free_text_sender(update)
        if taker is not None and taker.callback == channel.on_text:
            assert update.effective_user is not None
            assert sender == (11, f"lang:{update.effective_user.language_code}"), name
        else:
            assert sender is None, name
    # Without first reads (SQLite) nothing is read at receipt.
    Reads.first_reads = None
    assert channel.free_text_sender(Update.de_json(UPDATES[0][1](api), application.bot)) is None
