"""Webhook mode: the real Starlette app and PTB application, real SQLite, the fake Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.channels.telegram_sender import TelegramSender
from bot.channels.webhook import FORGET_EVERY, MAX_ATTEMPTS, WebhookServer
from tests.auxil.environment import free_port
from tests.auxil.telegram_bot import USER
from tests.auxil.webhook import LEASE, Healthy, post, webhook
from tests.fakes.bot_api import FakeBotAPI


async def until(condition: Callable[[], bool]) -> None:
    """Poll a condition that other tasks make true (the fake API's list of sent messages)."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - nothing to wait on but the list itself
            await asyncio.sleep(0.02)


async def test_secret_token_is_required(tmp_path: Path) -> None:
    api = FakeBotAPI()
    async with webhook(tmp_path, api, Healthy()) as (server, client, _):
        update = api.message_update(USER, "/start")
        assert await post(client, update, secret=None) == 403
        assert await post(client, update, secret="wrong-secret-0123456789") == 403
        assert await server.inbound.count() == 0
        assert api.messages_to(USER) == []
        assert await post(client, {"no": "update id"}) == 400


async def test_updates_are_handled_once_even_when_telegram_resends(tmp_path: Path) -> None:
    api = FakeBotAPI()
    async with webhook(tmp_path, api, Healthy()) as (server, client, _):
        update = api.message_update(USER, "/help")
        assert await post(client, update) == 200
        assert await post(client, update) == 200  # Telegram retrying the same update
        await until(lambda: len(api.messages_to(USER)) >= 2)
        await asyncio.sleep(0.2)
        help_text = [s for s in api.messages_to(USER) if "/menu" in (s.text or "")]
        assert len(help_text) == 1
        await asyncio.wait_for(server.queue.join(), 5)
        await forgotten(server)


async def test_acknowledged_updates_survive_a_stop_before_handling(tmp_path: Path) -> None:
    api = FakeBotAPI()
    # A process that acknowledges and then dies before any worker runs.
    async with webhook(tmp_path, api, Healthy(), start_workers=False) as (server, client, _):
        for text in ("/start", "/help", "what is phishing"):
            assert await post(client, api.message_update(USER, text)) == 200
        assert await server.inbound.count() == 3
        assert api.messages_to(USER) == []
    # The next start (or another process) finds and handles them once the lease of the
    # process that received them has passed.
    await asyncio.sleep(LEASE.total_seconds())
    async with webhook(tmp_path, api, Healthy()) as (server, client, _):
        assert await server.sweep_once(older_than=dt.timedelta(0)) == 3
        await until(lambda: len(api.messages_to(USER)) >= 3)
        await asyncio.wait_for(server.queue.join(), 5)
        await forgotten(server)


async def forgotten(server: WebhookServer) -> None:
    """Handled (or dropped) updates are deleted together, a moment later."""
    async with asyncio.timeout(5):
        while await server.inbound.count():  # noqa: ASYNC110 - the database has no event
            await asyncio.sleep(FORGET_EVERY)


async def handled_again(server: WebhookServer, expected: int) -> None:
    """Once the lease of the attempt before has passed, the sweeper takes the update again."""
    await asyncio.sleep(LEASE.total_seconds())
    assert await server.sweep_once(older_than=dt.timedelta(0)) == expected
    await asyncio.wait_for(server.queue.join(), 5)


async def test_an_update_whose_handling_failed_is_handled_again(tmp_path: Path) -> None:
    api = FakeBotAPI()
    async with webhook(tmp_path, api, Healthy()) as (server, client, _):
        # The answer could not be sent: Telegram failed.
        api.fail("sendMessage", 500, "Internal Server Error")
        assert await post(client, api.message_update(USER, "/menu")) == 200
        await asyncio.wait_for(server.queue.join(), 5)
        assert api.messages_to(USER) == []
        await handled_again(server, 1)
        assert len(api.messages_to(USER)) == 1
        await forgotten(server)


async def test_an_update_that_keeps_failing_is_dropped_in_the_end(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotAPI()
    async with webhook(tmp_path, api, Healthy()) as (server, client, _):
        api.fail("sendMessage", 500, "Internal Server Error", times=MAX_ATTEMPTS + 5)
        assert await post(client, api.message_update(USER, "/menu")) == 200
        await asyncio.wait_for(server.queue.join(), 5)
        for _ in range(MAX_ATTEMPTS - 1):
            await handled_again(server, 1)
        await forgotten(server)
        await handled_again(server, 0)
        tries = [r for r in api.refusals if r[0] == "sendMessage"]
        assert len(tries) == MAX_ATTEMPTS
        dropped = [r for r in caplog.records if f"failed {MAX_ATTEMPTS} times" in r.getMessage()]
        assert len(dropped) == 1


async def test_a_chat_that_blocked_the_bot_is_not_tried_again(tmp_path: Path) -> None:
    api = FakeBotAPI()
    async with webhook(tmp_path, api, Healthy()) as (server, client, _):
        api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        assert await post(client, api.message_update(USER, "/menu")) == 200
        await asyncio.wait_for(server.queue.join(), 5)
        await forgotten(server)
        await handled_again(server, 0)
        assert len([r for r in api.refusals if r[0] == "sendMessage"]) == 1


async def test_health_and_metrics(tmp_path: Path) -> None:
    api = FakeBotAPI()
    nlu = Healthy()
    async with webhook(tmp_path, api, nlu) as (server, client, services):
        response = await client.get("/healthz")
        assert response.status_code == 200 and response.json() == {"database": "ok", "nlu": "ok"}
        nlu.ok = False
        response = await client.get("/healthz")
        assert response.status_code == 503 and response.json()["nlu"] == "failing"
        await post(client, api.message_update(USER, "what is phishing"))
        await until(lambda: len(api.messages_to(USER)) >= 1)
        await services.tick(services.delivery(TelegramSender(server.application.bot)))
        text = (await client.get("/metrics")).text
        for name in (
            "ecsm_updates_handled_total",
            "ecsm_replies_total",
            "ecsm_nlu_latency_seconds_bucket",
            "ecsm_outbox_depth",
            "ecsm_inbound_pending",
        ):
            assert name in text, name
        assert 'ecsm_updates_handled_total{kind="text"} 1.0' in text


@pytest.mark.timeout(60)
async def test_real_server_shuts_down_without_losing_acknowledged_updates(tmp_path: Path) -> None:
    api = FakeBotAPI()
    port = free_port()
    async with webhook(tmp_path, api, Healthy(), start_workers=False) as (server, _, _services):
        config = uvicorn.Config(server.app(), host="127.0.0.1", port=port, log_level="error")
        uv = uvicorn.Server(config)
        serving = asyncio.create_task(uv.serve())
        await until(lambda: uv.started)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            codes = await asyncio.gather(
                *(post(client, api.message_update(USER + i, "/help")) for i in range(20))
            )
        uv.should_exit = True
        await serving
        assert codes == [200] * 20
        handled = {s.chat_id for s in api.sent}
        left = await server.inbound.count()
        # Every acknowledged update was handled, or is still stored for the next start.
        assert len(handled) + left == 20
