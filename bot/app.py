"""The one place that builds the application from settings. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.content.catalog import Catalog, load_catalog
from bot.core.dialogue import Dialogue
from bot.core.ports import NLU, Clock, SystemClock
from bot.core.understanding import Thresholds
from bot.logs import RedactingFormatter
from bot.nlu.client import RasaNLU
from bot.nlu.model import ModelPaths
from bot.nlu.server import rasa_server
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.users import SqlUsers


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    engine: AsyncEngine
    nlu: NLU
    dialogue: Dialogue


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.nlu_confidence_threshold, settings.nlu_ambiguity_margin)


@contextlib.asynccontextmanager
async def nlu_connection(
    settings: Settings, formatter: RedactingFormatter | None = None
) -> AsyncIterator[RasaNLU]:
    """An NLU client for RASA_URL, with an embedded Rasa server started when none answers."""
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    async with rasa_server(
        str(settings.rasa_url),
        token,
        settings.rasa_venv,
        ModelPaths(settings.nlu_dir).model,
        settings.rasa_startup_timeout,
        Path("var/rasa.log"),
    ) as token:
        if formatter is not None:
            formatter.add_secret(token)
        async with httpx.AsyncClient(base_url=str(settings.rasa_url)) as client:
            yield RasaNLU(client, token, settings.rasa_timeout)


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, nlu: NLU, clock: Clock | None = None
) -> AsyncIterator[Services]:
    catalog = load_catalog(settings.data_dir, settings.default_language)
    await asyncio.to_thread(migrate, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        users = SqlUsers(make_sessions(engine))
        dialogue = Dialogue(catalog, nlu, users, clock or SystemClock(), thresholds(settings))
        yield Services(settings, catalog, engine, nlu, dialogue)
    finally:
        await engine.dispose()
