"""The webhook server as it runs (the real Starlette app and PTB application, real SQLite) in
front of the fake Bot API, and a client that posts updates to it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from telegram.request import HTTPXRequest

from bot.bootstrap import Services, bootstrap
from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.webhook import SECRET_HEADER, WebhookServer
from bot.settings import Settings
from bot.storage.inbound import SqlInbound
from tests.auxil.telegram_bot import BASE_URL, settings_for
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI
from tests.fakes.core import FakeNLU

SECRET = "s3cret-token_for-tests-0123456789"
PATH = "/telegram"


class Healthy:
    def __init__(self) -> None:
        self.ok = True

    async def __call__(self) -> bool:
        return self.ok


LEASE = dt.timedelta(seconds=0.5)


@contextlib.asynccontextmanager
async def webhook(
    tmp_path: Path,
    api: FakeBotAPI,
    nlu_check: Healthy,
    start_workers: bool = True,
    settings: Settings | None = None,
    nlu: FakeNLU | None = None,
) -> AsyncIterator[tuple[WebhookServer, httpx.AsyncClient, Services]]:
    async with bootstrap(settings or settings_for(tmp_path), nlu=nlu or FakeNLU()) as services:
        # As bot/app.py starts: the shipped events loaded.
        await services.shipped_events.load(services.clock.now())
        channel = TelegramChannel(services.dialogue, services.catalog, services.metrics)
        application = build_application(
            FAKE_TOKEN,
            BASE_URL,
            channel,
            request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
        )
        async with application:
            server = WebhookServer(
                application,
                SqlInbound(services.sessions, services.dialogue.first_reads),
                SECRET,
                PATH,
                services.metrics,
                checks={"database": services.database_ok, "nlu": nlu_check},
                workers=2,
                lease=LEASE,
                sender_of=channel.free_text_sender,
            )
            if start_workers:
                await server.start()
            transport = httpx.ASGITransport(app=server.app())
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
                try:
                    yield server, client, services
                finally:
                    if start_workers:
                        await server.stop()


async def post(
    client: httpx.AsyncClient, update: dict[str, object], secret: str | None = SECRET
) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    response = await client.post(PATH, content=json.dumps(update), headers=headers)
    return response.status_code
