"""Organisers' command-line tools: `ecsm-bot events ...` and `ecsm-bot broadcast`. They work on
the database directly and record every action in the audit log, like the Telegram commands."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import getpass
import sys
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.bootstrap import event_service, message_bus, open_storage
from bot.content.catalog import Catalog, load_catalog
from bot.content.freshness import stale_sources
from bot.core.announcements import BUTTON_LABEL_MAX, check_text, parse_button
from bot.core.events import valid_zone
from bot.core.markup import MESSAGE_LIMIT
from bot.core.messages import Button, Reply
from bot.core.outbox_refs import announcement_ref
from bot.core.ports import Audience, SystemClock
from bot.events.importer import read_events
from bot.services.announcements import AnnouncementService
from bot.services.events import Origin
from bot.settings import Settings
from bot.storage.broadcasts import BroadcastPlanner, SqlBroadcasts
from bot.storage.events import SqlEvents
from bot.storage.outbox import SqlDeliveries
from bot.storage.unit_of_work import SqlUnitOfWork

WAITING = ("pending", "claimed", "sending")


def _who() -> dict[str, str]:
    return {"via": "cli", "os_user": getpass.getuser()}


async def import_events(
    settings: Settings, path: Path, dry_run: bool, out: TextIO = sys.stdout
) -> int:
    catalog = load_catalog(settings.data_dir, settings.default_language)
    now = dt.datetime.now(dt.UTC)
    result = read_events(path, list(catalog.languages), now, catalog.regions)
    if not result.ok:
        out.write(f"Nothing imported: {len(result.errors)} bad row(s) in {path}\n")
        for error in result.errors:
            out.write(f"  {error.where}: {'; '.join(error.reasons)}\n")
        return 1
    if dry_run:
        out.write(f"{len(result.drafts)} event(s) would be imported from {path}\n")
        return 0
    async with open_storage(settings, catalog) as storage:
        service = event_service(settings, catalog, storage.sessions, SystemClock())
        origin = Origin(None, _who(), "event_imported")
        for draft in result.drafts:
            await service.save(draft, origin, now)
    out.write(f"Imported {len(result.drafts)} event(s) from {path}\n")
    return 0


async def list_events(settings: Settings, out: TextIO = sys.stdout) -> int:
    from bot.core.ports import EventFilter

    async with open_storage(settings) as storage:
        found, total = await SqlEvents(storage.sessions).upcoming(
            dt.datetime.now(dt.UTC), EventFilter(), 0, 1000
        )
    lang = storage.catalog.default_language
    for event in found:
        title = event.draft.text_in(lang, lang).title
        sample = " [sample]" if event.draft.sample else ""
        when = f"{event.draft.start:%Y-%m-%d %H:%M %Z}"
        out.write(f"#{event.id}\t{when}\t{event.draft.region}\t{title}{sample}\n")
    out.write(f"{total} upcoming event(s)\n")
    return 0


def parse_audience(spec: str, catalog: Catalog) -> Audience:
    """segment=citizen,language=bg,region=plovdiv,event=12 (every part optional)."""
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"audience part {part!r} is not name=value")
        values[name.strip()] = value.strip()
    unknown = set(values) - {"segment", "language", "region", "event"}
    if unknown:
        raise ValueError(f"unknown audience part(s): {', '.join(sorted(unknown))}")
    segment = values.get("segment", "all")
    if segment not in ("all", "citizen", "business"):
        raise ValueError("segment must be all, citizen or business")
    language = values.get("language")
    if language is not None and language not in catalog.languages:
        raise ValueError(f"language must be one of {', '.join(catalog.languages)}")
    region = values.get("region")
    if region is not None and region not in catalog.regions:
        raise ValueError(f"unknown region {region!r}")
    event = values.get("event")
    if event is not None and not event.isdigit():
        raise ValueError("event must be an event number")
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
) -> int:
    console = console or Console(stderr=True)
    catalog = load_catalog(settings.data_dir, settings.default_language)
    if str(text_file) == "-":
        text = sys.stdin.read().strip()
    else:
        text = (await asyncio.to_thread(text_file.read_text, encoding="utf-8")).strip()
    problem = check_text(text)
    if problem is not None and problem.code == "markup":
        console.print(f"Refused: {problem.detail}")
        return 2
    if problem is not None:
        console.print(
            f"Refused: the text must be 1 to {MESSAGE_LIMIT} characters (Telegram's limit)"
        )
        return 2
    try:
        audience = parse_audience(audience_spec, catalog)
    except ValueError as exc:
        console.print(f"Refused: {exc}")
        return 2
    buttons: tuple[tuple[Button, ...], ...] = ()
    if button:
        link = parse_button(button)
        if link is None:
            console.print(
                "Refused: --button must be 'Label|https://address', "
                f"with a label of 1 to {BUTTON_LABEL_MAX} characters"
            )
            return 2
        buttons = ((link,),)
    now = dt.datetime.now(dt.UTC)
    send_at = now
    if at:
        if not valid_zone(zone):
            console.print(f"Refused: unknown time zone {zone!r}")
            return 2
        try:
            send_at = dt.datetime.fromisoformat(at).replace(tzinfo=ZoneInfo(zone))
        except ValueError:
            console.print("Refused: --at must be YYYY-MM-DD HH:MM")
            return 2
        if send_at <= now:
            console.print("Refused: --at is in the past")
            return 2
    async with open_storage(settings, catalog) as storage:
        sessions = storage.sessions
        store = SqlBroadcasts(sessions)
        size = await store.audience_size(audience)
        if dry_run:
            print(f"audience: {size} people")
            return 0
        service = AnnouncementService(
            functools.partial(SqlUnitOfWork, storage.database),
            message_bus(settings, catalog, storage.database, SystemClock()),
        )
        record = await service.schedule(
            Reply(text, buttons=buttons), audience, send_at, Origin(None, _who()), now
        )
        if send_at > now:
            print(f"announcement #{record.id} scheduled for {send_at.isoformat()} to {size} people")
            return 0
        with _progress(console) as progress:
            task = progress.add_task(f"queueing #{record.id}", total=size)
            await BroadcastPlanner(sessions).fan_out(
                now, lambda _id, added: progress.advance(task, added)
            )
        print(f"announcement #{record.id} queued for {size} people; the running bot sends it")
        if wait:
            await _wait_for_delivery(SqlDeliveries(sessions), record.id, size, console)
    return 0


async def _wait_for_delivery(
    deliveries: SqlDeliveries, broadcast_id: int, size: int, console: Console
) -> None:
    with _progress(console) as progress:
        task = progress.add_task(f"delivering #{broadcast_id}", total=size)
        while True:
            counts = await deliveries.counts(announcement_ref(broadcast_id))
            done = sum(n for status, n in counts.items() if status not in WAITING)
            progress.update(task, completed=done)
            if done >= size:
                break
            await asyncio.sleep(1)
    print(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def report_stale(data_dir: Path, days: int) -> int:
    """List the sources checked more than `days` days ago. A report, so exit 0 either way."""
    today = dt.date.today()
    stale = stale_sources(data_dir, today, days)
    for source in stale:
        print(f"{source.file}\t{source.entry}\t{source.url}\t{source.checked.isoformat()}")
    print(f"{len(stale)} source(s) checked more than {days} day(s) before {today.isoformat()}")
    return 0
