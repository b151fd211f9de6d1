"""`ecsm-bot alerts publish|list|show|edit|retire`: organisers manage scam alerts from the command
line, through the same AlertService as the chat (every action audited, with the operating-system
user who ran it). What it prints is in data/ui (alerts.cli.*), in the default language; `show`
prints an alert in the file's shape, for `edit --file`."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import yaml

from bot.bootstrap import open_storage, stored_alerts
from bot.content.catalog import Catalog
from bot.core.alerts import AlertDraft, AlertProblem, AlertStatus, changed, draft_from, raw_of
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


async def _read_draft(catalog: Catalog, path: Path, out: TextIO) -> AlertDraft | None:
    """The alert written in `path`, or None once what is wrong with the file was said."""
    try:
        raw = yaml.safe_load(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        _say(catalog, out, "alerts.cli.bad_file", path=path, error=type(exc).__name__)
        return None
    draft = draft_from(raw)
    if isinstance(draft, AlertProblem):
        problem = problem_text(catalog, catalog.default_language, draft)
        _say(catalog, out, "alerts.cli.bad_file", path=path, error=to_plain(problem))
        return None
    return draft


async def publish(
    settings: Settings, path: Path, draft_only: bool, out: TextIO = sys.stdout
) -> int:
    """Publish (or, with `draft_only`, store as a draft) the alert written in `path`."""
    async with _service(settings) as (service, catalog):
        lang = catalog.default_language
        draft = await _read_draft(catalog, path, out)
        if draft is None:
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


async def publish_draft(settings: Settings, alert_id: int, out: TextIO = sys.stdout) -> int:
    """Publish a stored draft (`publish --draft`, or one saved in the chat or the dashboard)."""
    async with _service(settings) as (service, catalog):
        published = await service.publish(alert_id, _origin(), service.clock.now())
        if published is None:
            missing = await service.get(alert_id) is None
            key = "alerts.cli.not_found" if missing else "alerts.cli.not_draft"
            _say(catalog, out, key, id=alert_id)
            return 1
        title = published.in_language(catalog.default_language).title
        _say(catalog, out, "alerts.cli.published", id=alert_id, title=title)
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


async def show(settings: Settings, alert_id: int, out: TextIO = sys.stdout) -> int:
    """The alert in the file's shape (README, "Scam alerts"), to change and give to `edit`."""
    async with _service(settings) as (service, catalog):
        alert = await service.get(alert_id)
        if alert is None:
            _say(catalog, out, "alerts.cli.not_found", id=alert_id)
            return 1
        out.write(yaml.safe_dump(raw_of(alert.draft), allow_unicode=True, sort_keys=False))
        return 0


@dataclass(frozen=True, slots=True)
class Changes:
    """What `ecsm-bot alerts edit` was told to change: a whole file, and/or fields of one
    language (the alert's main language unless said); None leaves a field as it is."""

    file: Path | None = None
    language: str | None = None
    title: str | None = None
    looks_like: str | None = None
    advice: str | None = None
    examples: Sequence[str] | None = None
    source: str | None = None

    def any(self) -> bool:
        fields = (self.title, self.looks_like, self.advice, self.examples, self.source)
        return self.file is not None or any(field is not None for field in fields)


async def edit(
    settings: Settings, alert_id: int, changes: Changes, out: TextIO = sys.stdout
) -> int:
    """New texts, examples or source for a draft or published alert (a published one matches
    by its new examples at once and is not sent again); audited like every change."""
    async with _service(settings) as (service, catalog):
        lang = catalog.default_language
        if not changes.any():
            _say(catalog, out, "alerts.cli.nothing_to_change")
            return 2
        alert = await service.get(alert_id)
        if alert is None:
            _say(catalog, out, "alerts.cli.not_found", id=alert_id)
            return 1
        if alert.status is AlertStatus.RETIRED:
            _say(catalog, out, "alerts.cli.not_editable", id=alert_id)
            return 1
        draft = alert.draft
        if changes.file is not None:
            read = await _read_draft(catalog, changes.file, out)
            if read is None:
                return 2
            draft = read
        draft = changed(
            draft,
            changes.language or draft.default_language,
            title=changes.title,
            looks_like=changes.looks_like,
            advice=changes.advice,
            examples=changes.examples,
            source_url=changes.source,
        )
        try:
            edited = await service.edit(alert_id, draft, _origin(), service.clock.now())
        except AlertRefused as refused:
            problem = to_plain(problem_text(catalog, lang, refused.problem))
            _say(catalog, out, "alerts.cli.refused", id=alert_id, error=problem)
            return 2
        if edited is None:  # retired by someone else meanwhile
            _say(catalog, out, "alerts.cli.not_editable", id=alert_id)
            return 1
        _say(catalog, out, "alerts.cli.edited", id=alert_id, title=edited.in_language(lang).title)
        return 0
