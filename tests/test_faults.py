"""Faults: the Rasa server killed mid-conversation and started again, PostgreSQL restarted (a
server of the test's own, really stopped and started) or dropping every connection, and the Bot
API failing for a minute."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from bot.bootstrap import Services
from bot.channels.telegram_sender import TelegramSender
from bot.channels.webhook import WebhookServer
from bot.core.ports import Audience
from bot.delivery.ratelimit import RateLimiter
from bot.nlu.client import RasaNLU
from bot.nlu.server import rasa_server
from bot.storage import db
from bot.storage.broadcasts import SqlBroadcasts
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.users import SqlUsers
from tests.auxil.environment import MODEL, POSTGRES_URL, ROOT, free_port
from tests.auxil.private_postgres import private_postgres
from tests.auxil.telegram_bot import running_bot, settings_for
from tests.auxil.webhook import LEASE, Healthy, post, webhook
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.core import FakeNLU
from tests.fakes.virtual_time import VirtualTime

SECRET = "faults-secret_0123456789abc"


@pytest.mark.rasa
@pytest.mark.timeout(300)
async def test_rasa_killed_then_back_answers_resume_without_a_restart(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    token = "fixed-token-for-this-test-0123456789"
    api = FakeBotAPI()
    async with httpx.AsyncClient(base_url=url) as client:
        nlu = RasaNLU(client, token, timeout=2.0)
        async with running_bot(tmp_path, nlu, api) as bot:
            phishing = bot.catalog.answer("en", "phishing")
            assert phishing is not None
            async with rasa_server(
                url, token, ROOT / ".venv-rasa", MODEL, 240, tmp_path / "r1.log"
            ):
                assert phishing.title in (await bot.say("what is phishing"))[0]
            started = time.monotonic()
            replies = await bot.say("what is phishing")
            assert replies[0] == bot.catalog.strings["en"]["nlu.unavailable"]
            assert time.monotonic() - started < 5
            # The same bot, the same client: answers come back once Rasa does.
            async with rasa_server(
                url, token, ROOT / ".venv-rasa", MODEL, 240, tmp_path / "r2.log"
            ):
                assert phishing.title in (await bot.say("what is phishing"))[0]


def drop_connections(database_url: str) -> int:
    """Every connection to the database is cut, as when the server restarts."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        rows = admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = %s and pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


def help_replies(api: FakeBotAPI) -> Counter[int]:
    """The answers to /help, by chat."""
    return Counter(
        s.chat_id for s in api.sent if "/menu" in (s.text or "") and "/privacy" in (s.text or "")
    )


async def broadcast_through_a_fault(
    services: Services,
    server: WebhookServer,
    fault: Callable[[], Awaitable[object]],
    tries: int,
) -> None:
    """An announcement to everyone, with `fault` striking in the middle of its delivery; the
    scheduler ticks again until one goes through."""
    now = dt.datetime.now(dt.UTC)
    await SqlBroadcasts(services.sessions).create(
        1, {"text": WEBINAR, "buttons": []}, Audience(), now, now
    )
    delivery = services.delivery(TelegramSender(server.application.bot))
    delivery.batch = 5
    await services.broadcasts.fan_out(now)
    await delivery.run_once(max_items=10)
    await fault()
    for _ in range(tries):
        try:
            await services.tick(delivery)
            break
        except Exception:
            await asyncio.sleep(0.2)


def assert_each_once(replies: Counter[int], users: range) -> None:
    assert sorted(replies) == list(users)
    assert set(replies.values()) == {1}


WEBINAR = "Webinar tomorrow"


@pytest.mark.postgres
async def test_the_health_check_is_not_failed_by_a_connection_cut_in_recent_use(
    new_postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Never idle long enough to be pinged: the cut connection is the one the check gets first.
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 3600.0)
    engine = make_engine(new_postgres_database)
    try:
        services = Services.__new__(Services)
        services.engine = engine
        assert await services.database_ok()
        assert drop_connections(new_postgres_database) >= 1
        assert await services.database_ok()
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_pooled_connection_cut_while_idle_is_replaced_unseen(
    new_postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.2)
    migrate(new_postgres_database)
    engine = make_engine(new_postgres_database)
    try:
        users = SqlUsers(make_sessions(engine))
        await users.touch(1, "en", dt.datetime.now(dt.UTC))
        # Idle for a while, then cut: pinged before use, replaced, no error.
        await asyncio.sleep(0.3)
        assert drop_connections(new_postgres_database) >= 1
        assert await users.get(1) is not None
        # In use just now, then cut: that statement fails, the pool is renewed at once.
        assert drop_connections(new_postgres_database) >= 1
        with pytest.raises(DBAPIError):
            await users.get(1)
        assert await users.get(1) is not None
    finally:
        await engine.dispose()


@pytest.mark.postgres
@pytest.mark.timeout(120)
async def test_postgresql_connections_dropped_nothing_lost_nothing_twice(
    tmp_path: Path, new_postgres_database: str
) -> None:
    api = FakeBotAPI()
    settings = settings_for(tmp_path, database_url=new_postgres_database)
    async with webhook(tmp_path, api, Healthy(), settings=settings) as (server, client, services):
        for user in range(500, 520):
            assert await post(client, api.message_update(user, "/start")) == 200
        await asyncio.wait_for(server.queue.join(), 20)
        assert drop_connections(new_postgres_database) >= 1
        # Requests right after the cut: a pooled connection idle for a while is pinged and
        # replaced; one used just before fails its request with 5xx, and Telegram resends it.
        codes = [await post(client, api.message_update(user, "/help")) for user in range(500, 520)]
        for user, code in zip(range(500, 520), codes, strict=True):
            if code != 200:
                assert code >= 500
                assert await post(client, api.message_update(user, "/help")) == 200
        await asyncio.wait_for(server.queue.join(), 20)
        assert (await client.get("/healthz")).status_code == 200
        assert_each_once(help_replies(api), range(500, 520))

        async def cut() -> None:
            drop_connections(new_postgres_database)

        await broadcast_through_a_fault(services, server, cut, tries=10)
    assert_each_once(Counter(s.chat_id for s in api.sent if s.text == WEBINAR), range(500, 520))


@pytest.mark.postgres
@pytest.mark.timeout(240)
async def test_postgresql_restarted_nothing_lost_nothing_twice(tmp_path: Path) -> None:
    with private_postgres() as postgres:
        api = FakeBotAPI()
        settings = settings_for(tmp_path, database_url=postgres.url)
        async with webhook(tmp_path, api, Healthy(), start_workers=False, settings=settings) as (
            server,
            client,
            services,
        ):
            users = range(500, 520)
            for user in users:
                assert await post(client, api.message_update(user, "/start")) == 200
            # Acknowledged, not handled yet, when the server goes down.
            await asyncio.to_thread(postgres.stop)
            health = await client.get("/healthz")
            assert health.status_code == 503 and health.json()["database"] == "failing"
            # Handling fails meanwhile: the updates must stay stored.
            await server.start()
            await asyncio.wait_for(server.queue.join(), 30)
            assert not [s for s in api.sent if s.method == "sendMessage"]
            # Updates arriving during the outage are refused, and Telegram sends them again.
            refused = [api.message_update(user, "/help") for user in users]
            assert {await post(client, update) for update in refused} == {503}
            await asyncio.to_thread(postgres.start)
            for update in refused:
                assert await post(client, update) == 200
            # The resent ones handled first: one still queued when its lease passes would be
            # swept too (a loaded machine, or storing faster than handling).
            await asyncio.wait_for(server.queue.join(), 30)
            # The acknowledged ones are taken again once their lease has passed.
            await asyncio.sleep(LEASE.total_seconds())
            assert await server.sweep_once(older_than=dt.timedelta(0)) == len(users)
            await asyncio.wait_for(server.queue.join(), 30)
            assert (await client.get("/healthz")).status_code == 200
            greeting = services.catalog.text("en", "start.greeting")
            greetings = Counter(s.chat_id for s in api.sent if (s.text or "").startswith(greeting))
            for replies in (greetings, help_replies(api)):
                assert_each_once(replies, users)

            async def restart() -> None:
                await asyncio.to_thread(postgres.stop)
                await asyncio.to_thread(postgres.start)

            await broadcast_through_a_fault(services, server, restart, tries=50)
            await server.stop()
        assert_each_once(Counter(s.chat_id for s in api.sent if s.text == WEBINAR), users)


@pytest.mark.timeout(240)
async def test_bot_api_failing_for_a_minute_everything_arrives_once(tmp_path: Path) -> None:
    # The minute, the engine's growing pauses (up to OUTAGE_MAX_PAUSE), the 429's retry_after
    # and the backoff of the failures before the outage is recognised are all on one virtual
    # clock: the bot, its delivery engine, its rate limiter and the fake Bot API see a whole
    # minute of outage pass, in the seconds the sending itself takes.
    virtual = VirtualTime()
    api = FakeBotAPI(clock=virtual.monotonic)
    async with running_bot(tmp_path, FakeNLU(), api, clock=virtual) as bot:
        for user in range(700, 740):
            await bot.say("/start", user=user)
        now = virtual.now()
        await SqlBroadcasts(bot.services.sessions).create(
            1, {"text": "Tomorrow: phishing clinic", "buttons": []}, Audience(), now, now
        )
        api.down_with = [
            (502, "Bad Gateway", None),
            (429, "Too Many Requests: retry after 5", 5),
            (500, "Internal Server Error", None),
        ]
        api.down_until = virtual.monotonic() + 60
        delivery = bot.services.delivery(TelegramSender(bot.app.bot))
        # The engine's limiter as bot.services.delivery makes it (SQLite: a grid of its own),
        # on the virtual clock.
        delivery.limiter = RateLimiter(
            bot.services.settings.delivery_rate, clock=virtual.monotonic, sleep=virtual.sleep
        )
        started = virtual.monotonic()
        while virtual.monotonic() - started < 200:
            await bot.services.tick(delivery)
            got = Counter(s.chat_id for s in api.sent if s.text == "Tomorrow: phishing clinic")
            if len(got) == 40:
                break
            await virtual.sleep(1)
    got = Counter(s.chat_id for s in api.sent if s.text == "Tomorrow: phishing clinic")
    assert set(range(700, 740)) <= set(got)
    assert set(got.values()) == {1}
    assert virtual.monotonic() - started >= 60  # it really waited the outage out
    failures = [r for r in api.refusals if r[0] == "sendMessage"]
    assert {code for _, code, _ in failures} == {429, 500, 502}
