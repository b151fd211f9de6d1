"""`ecsm-bot alerts publish|list|retire`: organisers manage scam alerts from the command line,
through the same AlertService as the chat (every action audited, with the operating-system user
who ran it). What it prints is in data/ui (alerts.cli.*), in the default language."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

import yaml

from bot.bootstrap import open_storage, stored_alerts
from bot.content.catalog import Catalog
from bot.core.alerts import AlertProblem, draft_from
from bot.core.ports import SystemClock
from bot.features.alerts import AlertNotices, problem_text
from bot.services.alerts import AlertRefused, AlertService
from bot.services.events import Origin
from bot.settings import Settings
from bot.text.markup import to_plain


def _origin() -> Origin:
    return Origin(None, {"via": "cli", "os_user": getpass.getuser()})


@contextlib.asynccontextmanager
async def _service(settings: Settings) -> AsyncIterator[tuple[AlertService, Catalog]]:
    async with open_storage(settings) as storage:
        service = stored_alerts(settings, storage.catalog, storage.database, SystemClock())
        yield service, storage.catalog


def _say(catalog: Catalog, out: TextIO, key: str, **values: object) -> None:
    out.write(to_plain(catalog.text(catalog.default_language, key, **values)) + "\n")


async def publish(
    settings: Settings, path: Path, draft_only: bool, out: TextIO = sys.stdout
) -> int:
    """Publish (or, with `draft_only`, store as a draft) the alert written in `path`."""
    async with _service(settings) as (service, catalog):
        lang = catalog.default_language
        try:
            raw = yaml.safe_load(await asyncio.to_thread(path.read_text, encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            _say(catalog, out, "alerts.cli.bad_file", path=path, error=type(exc).__name__)
            return 2
        draft = draft_from(raw)
        if isinstance(draft, AlertProblem):
            problem = problem_text(catalog, lang, draft)
            _say(catalog, out, "alerts.cli.bad_file", path=path, error=to_plain(problem))
            return 2
        try:
            alert = await service.create(
                draft, _origin(), service.clock.now(), publish=not draft_only
            )
        except AlertRefused as refused:
            problem = problem_text(catalog, lang, refused.problem)
            _say(catalog, out, "alerts.cli.bad_file", path=path, error=to_plain(problem))
            return 2
        key = "alerts.cli.drafted" if draft_only else "alerts.cli.published"
        _say(catalog, out, key, id=alert.id, title=alert.in_language(lang).title)
        return 0


async def list_alerts(settings: Settings, out: TextIO = sys.stdout) -> int:
    async with _service(settings) as (service, catalog):
        lang = catalog.default_language
        alerts = await service.find()
        if not alerts:
            _say(catalog, out, "alerts.cli.none")
        notices = AlertNotices(catalog)
        for alert in alerts:
            _say(
                catalog,
                out,
                "alerts.list.item",
                id=alert.id,
                status=catalog.text(lang, f"alerts.state.{alert.status.value}"),
                date=notices.date(alert, lang),
                title=alert.in_language(lang).title,
                matches=alert.matches,
            )
        return 0


async def retire(settings: Settings, alert_id: int, out: TextIO = sys.stdout) -> int:
    async with _service(settings) as (service, catalog):
        retired = await service.retire(alert_id, _origin(), service.clock.now())
        if retired is None:
            _say(catalog, out, "alerts.cli.not_found", id=alert_id)
            return 1
        title = retired.in_language(catalog.default_language).title
        _say(catalog, out, "alerts.cli.retired", id=alert_id, title=title)
        return 0
