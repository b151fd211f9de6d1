"""The bot as python-telegram-bot runs it against the fake Bot API (tests.fakes.bot_api), on
SQLite, with the NLU a test gives it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.bootstrap import Services, bootstrap
from bot.channels.telegram import TelegramChannel, TypingSchedule, build_application
from bot.content.catalog import Catalog
from bot.core.ports import NLU, Clock
from bot.settings import Settings
from tests.auxil.environment import ROOT
from tests.auxil.schema import migrated_sqlite
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI

BASE_URL = "http://bot-api.test/bot"
USER = 1001


@dataclass
class Bot:
    api: FakeBotAPI
    app: Application  # type: ignore[type-arg]
    catalog: Catalog
    services: Services

    async def send(self, update: dict[str, object]) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def say(self, text: str, user: int = USER, language: str | None = "en") -> list[str]:
        before = len(self.api.sent)
        await self.send(self.api.message_update(user, text, language))
        return [s.text or "" for s in self.api.sent[before:]]

    async def exchange(self, update: dict[str, object]) -> list[str]:
        """The texts the bot sent back for `update` (a photo, a document...)."""
        before = len(self.api.sent)
        await self.send(update)
        return [s.text or "" for s in self.api.sent[before:]]

    async def press(self, data: str, user: int = USER) -> list[str]:
        before = len(self.api.sent)
        await self.send(self.api.callback_update(user, data))
        return [s.text or "" for s in self.api.sent[before:]]


ORGANISER = 4242


def settings_for(
    tmp_path: Path,
    rasa_url: str = "http://127.0.0.1:1",
    database_url: str | None = None,
    **extra: Any,
) -> Settings:
    """The tests' settings: SQLite in `tmp_path` unless `database_url` names another database."""
    return Settings(
        _env_file=None,
        DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        DATA_DIR=str(ROOT / "data"),
        RASA_URL=rasa_url,
        ORGANISER_IDS=str(ORGANISER),
        # Tests type faster than people; flood control has its own test.
        FLOOD_MESSAGES=1000,
        **extra,
    )


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    nlu: NLU,
    api: FakeBotAPI,
    clock: Clock | None = None,
    typing_schedule: TypingSchedule | None = None,
    **settings: Any,
) -> AsyncIterator[Bot]:
    """The bot on `api`; `settings` are more of them by name (OCR_MAX_BYTES=...). A new SQLite
    database starts with the schema in place (tests/auxil/schema.py); one already there (a
    restart) is used as it is."""
    database = tmp_path / "bot.sqlite3"
    if not database.exists():
        migrated_sqlite(database)
    config = settings_for(tmp_path, **settings)
    async with bootstrap(config, nlu=nlu, clock=clock) as services:
        # As bot/app.py starts: the shipped events loaded.
        await services.shipped_events.load(services.clock.now())
        channel = TelegramChannel(
            services.dialogue, services.catalog, max_image_bytes=config.ocr_max_bytes
        )
        if typing_schedule is not None:
            channel.typing_schedule = typing_schedule
        app = build_application(
            FAKE_TOKEN,
            BASE_URL,
            channel,
            request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
            get_updates_request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
        )
        async with app:
            await channel.set_commands(app)
            yield Bot(api, app, services.catalog, services)
