"""Organisers' command-line tools: `ecsm-bot events ...` and `ecsm-bot broadcast`. They work on
the database directly and record every action in the audit log, like the Telegram commands.
Every line they print is a text of data/ui (cli.*), in --lang or DEFAULT_LANGUAGE."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from bot.bootstrap import event_service, message_bus, open_storage
from bot.content.catalog import Catalog, load_catalog
from bot.content.freshness import stale_sources
from bot.core.announcements import BUTTON_LABEL_MAX, check_text, parse_button
from bot.core.events import valid_zone
from bot.core.messages import Button, Reply
from bot.core.outbox_refs import announcement_ref
from bot.core.outbox_status import WAITING
from bot.core.ports import Audience, SystemClock
from bot.events.import_words import error_words
from bot.events.importer import read_events
from bot.services.announcements import AnnouncementService
from bot.services.events import Origin
from bot.settings import Settings
from bot.storage.broadcasts import BroadcastPlanner, SqlBroadcasts
from bot.storage.events import SqlEvents
from bot.storage.outbox import SqlDeliveries
from bot.storage.unit_of_work import SqlUnitOfWork
from bot.text.markup import to_plain

if TYPE_CHECKING:  # rich draws `broadcast --wait`'s progress: imported when it is asked for
    from rich.console import Console
    from rich.progress import Progress


class UnknownLanguage(ValueError):
    """--lang names a language data/ does not have."""


class Lines:
    """The command line's texts (cli.* in data/ui) in one language, as plain text."""

    def __init__(self, catalog: Catalog, language: str | None) -> None:
        language = language or catalog.default_language
        if language not in catalog.languages:
            raise UnknownLanguage(
                to_plain(
                    catalog.text(
                        catalog.default_language,
                        "cli.language_unknown",
                        languages=", ".join(catalog.languages),
                    )
                )
            )
        self.catalog, self.language = catalog, language

    def text(self, key: str, **values: object) -> str:
        return to_plain(self.catalog.text(self.language, key, **values))

    def plural(self, key: str, count: int, **values: object) -> str:
        return to_plain(self.catalog.plural(self.language, key, count, **values))

    def refused(self, reason: str) -> str:
        return self.text("cli.refused", reason=reason)


class AudienceProblem(ValueError):
    """Why --audience cannot be read: a cli.audience.* text and its values."""

    def __init__(self, key: str, count: int | None = None, **values: object) -> None:
        super().__init__(key)
        self.key, self.count, self.values = key, count, values

    def said(self, lines: Lines) -> str:
        if self.count is not None:
            return lines.plural(self.key, self.count, **self.values)
        return lines.text(self.key, **self.values)


def _who() -> dict[str, str]:
    return {"via": "cli", "os_user": getpass.getuser()}


async def import_events(
    settings: Settings,
    path: Path,
    dry_run: bool,
    out: TextIO = sys.stdout,
    language: str | None = None,
) -> int:
    catalog = load_catalog(settings.data_dir, settings.default_language)
    lines = Lines(catalog, language)
    now = dt.datetime.now(dt.UTC)
    result = read_events(path, list(catalog.languages), now, catalog.regions)
    if not result.ok:
        out.write(lines.plural("cli.import.bad_rows", len(result.errors), path=path) + "\n")
        for error in result.errors:
            where, reasons = error_words(catalog, lines.language, error)
            problem = lines.text("cli.import.problem", where=where, reasons="; ".join(reasons))
            out.write(problem + "\n")
        return 1
    if dry_run:
        out.write(lines.plural("cli.import.would_import", len(result.drafts), path=path) + "\n")
        return 0
    async with open_storage(settings, catalog) as storage:
        service = event_service(settings, catalog, storage.sessions, SystemClock())
        origin = Origin(None, _who(), "event_imported")
        for draft in result.drafts:
            await service.save(draft, origin, now)
    out.write(lines.plural("cli.import.imported", len(result.drafts), path=path) + "\n")
    return 0


async def list_events(
    settings: Settings, out: TextIO = sys.stdout, language: str | None = None
) -> int:
    from bot.core.ports import EventFilter

    async with open_storage(settings) as storage:
        lines = Lines(storage.catalog, language)
        found, total = await SqlEvents(storage.sessions).upcoming(
            dt.datetime.now(dt.UTC), EventFilter(), 0, 1000
        )
    lang, default = lines.language, storage.catalog.default_language
    for event in found:
        line = lines.text(
            "cli.events.line",
            id=event.id,
            when=f"{event.draft.start:%Y-%m-%d %H:%M %Z}",
            region=event.draft.region,
            title=event.draft.text_in(lang, default).title,
            sample=lines.text("cli.events.sample") if event.draft.sample else "",
        )
        out.write(line + "\n")
    out.write(lines.plural("cli.events.total", total) + "\n")
    return 0


def parse_audience(spec: str, catalog: Catalog) -> Audience:
    """segment=citizen,language=bg,region=plovdiv,event=12 (every part optional)."""
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            raise AudienceProblem("cli.audience.not_pair", part=part)
        values[name.strip()] = value.strip()
    unknown = set(values) - {"segment", "language", "region", "event"}
    if unknown:
        raise AudienceProblem(
            "cli.audience.unknown", len(unknown), parts=", ".join(sorted(unknown))
        )
    segment = values.get("segment", "all")
    if segment not in ("all", "citizen", "business"):
        raise AudienceProblem("cli.audience.segment")
    language = values.get("language")
    if language is not None and language not in catalog.languages:
        raise AudienceProblem("cli.audience.language", languages=", ".join(catalog.languages))
    region = values.get("region")
    if region is not None and region not in catalog.regions:
        raise AudienceProblem("cli.audience.region", region=region)
    event = values.get("event")
    if event is not None and not event.isdigit():
        raise AudienceProblem("cli.audience.event")
    return Audience(segment, language, region, int(event) if event else None)


async def broadcast(
    settings: Settings,
    text_file: Path,
    audience_spec: str,
    button: str | None,
    at: str | None,
    zone: str,
    dry_run: bool,
    wait: bool,
    console: Console | None = None,
    language: str | None = None,
) -> int:
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    catalog = load_catalog(settings.data_dir, settings.default_language)
    lines = Lines(catalog, language)
    if str(text_file) == "-":
        text = sys.stdin.read().strip()
    else:
        text = (await asyncio.to_thread(text_file.read_text, encoding="utf-8")).strip()
    problem = check_text(text)
    if problem is not None and problem.code == "markup":
        console.print(lines.refused(problem.detail), markup=False)
        return 2
    if problem is not None:
        # Empty or too long: the limit is check_text's own.
        reason = lines.plural("cli.broadcast.text_length", problem.limit)
        console.print(lines.refused(reason), markup=False)
        return 2
    try:
        audience = parse_audience(audience_spec, catalog)
    except AudienceProblem as exc:
        console.print(lines.refused(exc.said(lines)), markup=False)
        return 2
    buttons: tuple[tuple[Button, ...], ...] = ()
    if button:
        link = parse_button(button)
        if link is None:
            reason = lines.plural("cli.broadcast.bad_button", BUTTON_LABEL_MAX)
            console.print(lines.refused(reason), markup=False)
            return 2
        buttons = ((link,),)
    now = dt.datetime.now(dt.UTC)
    send_at = now
    if at:
        if not valid_zone(zone):
            reason = lines.text("cli.broadcast.unknown_zone", zone=zone)
            console.print(lines.refused(reason), markup=False)
            return 2
        try:
            send_at = dt.datetime.fromisoformat(at).replace(tzinfo=ZoneInfo(zone))
        except ValueError:
            console.print(lines.refused(lines.text("cli.broadcast.bad_at")), markup=False)
            return 2
        if send_at <= now:
            console.print(lines.refused(lines.text("cli.broadcast.past")), markup=False)
            return 2
    async with open_storage(settings, catalog) as storage:
        sessions = storage.sessions
        store = SqlBroadcasts(sessions)
        size = await store.audience_size(audience)
        if dry_run:
            print(lines.plural("cli.broadcast.audience", size))
            return 0
        service = AnnouncementService(
            functools.partial(SqlUnitOfWork, storage.database),
            message_bus(settings, catalog, storage.database, SystemClock()),
        )
        record = await service.schedule(
            Reply(text, buttons=buttons), audience, send_at, Origin(None, _who()), now
        )
        if send_at > now:
            when = send_at.isoformat()
            print(lines.plural("cli.broadcast.scheduled", size, id=record.id, when=when))
            return 0
        with _progress(console) as progress:
            task = progress.add_task(lines.text("cli.broadcast.queueing", id=record.id), total=size)
            await BroadcastPlanner(sessions).fan_out(
                now, lambda _id, added: progress.advance(task, added)
            )
        print(lines.plural("cli.broadcast.queued", size, id=record.id))
        if wait:
            await _wait_for_delivery(SqlDeliveries(sessions), record.id, size, console, lines)
    return 0


async def _wait_for_delivery(
    deliveries: SqlDeliveries, broadcast_id: int, size: int, console: Console, lines: Lines
) -> None:
    with _progress(console) as progress:
        task = progress.add_task(
            lines.text("cli.broadcast.delivering", id=broadcast_id), total=size
        )
        while True:
            counts = await deliveries.counts(announcement_ref(broadcast_id))
            done = sum(n for status, n in counts.items() if status not in WAITING)
            progress.update(task, completed=done)
            if done >= size:
                break
            await asyncio.sleep(1)
    outcomes = (
        lines.text(
            "cli.broadcast.outcome",
            status=lines.text(f"cli.outbox.{status}"),
            number=lines.catalog.number(lines.language, n),
        )
        for status, n in sorted(counts.items())
    )
    print(", ".join(outcomes))


def _progress(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def report_stale(settings: Settings, days: int, language: str | None = None) -> int:
    """List the sources checked more than `days` days ago. A report, so exit 0 either way."""
    lines = Lines(load_catalog(settings.data_dir, settings.default_language), language)
    today = dt.date.today()
    stale = stale_sources(settings.data_dir, today, days)
    for source in stale:
        line = lines.text(
            "cli.stale.line",
            file=source.file,
            entry=source.entry,
            url=source.url,
            checked=source.checked.isoformat(),
        )
        print(line)
    summary = lines.text(
        "cli.stale.summary",
        sources=lines.plural("cli.stale.sources", len(stale)),
        days=lines.plural("cli.stale.days", days),
        date=today.isoformat(),
    )
    print(summary)
    return 0
