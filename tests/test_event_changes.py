"""An event changed outside the chat (`ecsm-bot events import`, data/events/ at start-up) moves
its pending reminders and tells the people who asked for one, exactly once, like /editevent;
the same file imported or loaded again changes nothing and sends nothing. Real processes for the
command line, the bot's own start-up for data/events/, on SQLite and PostgreSQL; the wizard's
side of the same use case with the core's fakes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event as sql_event
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap, event_service
from bot.content.catalog import Catalog
from bot.core.events import EventDraft, EventText
from bot.core.messages import Incoming
from bot.core.ports import EventPorts, SystemClock
from bot.dialogue.router import Dialogue
from bot.services.events import Origin
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions
from bot.storage.events import SqlReminders
from bot.storage.schema import EventRow, OutboxItem
from bot.storage.users import SqlUsers
from tests.auxil.cli import bot_env, run_bot
from tests.auxil.environment import ORGANISER_ID, ROOT
from tests.auxil.schema import migrated
from tests.fakes.core import FakeNLU, FixedClock, MemoryAudit, MemoryDeliveries

USER = 4242
SOFIA = ZoneInfo("Europe/Sofia")
KEY = "moved-talk"
HEADER = (
    "key,title_en,title_bg,description_en,description_bg,start,end,timezone,place,online_url,"
    "region,country,audience,organiser,link\n"
)


def event_csv(start: str, end: str) -> str:
    return HEADER + (
        f"{KEY},Scams talk,Беседа за измамите,For seniors,За възрастни хора,{start},{end},"
        "Europe/Sofia,Plovdiv library,,plovdiv,BG,citizen,Library,\n"
    )


def event_yaml(start: str, end: str) -> str:
    return f"""events:
  - key: {KEY}
    title: {{en: Scams talk, bg: Беседа за измамите}}
    description: {{en: For seniors, bg: За възрастни хора}}
    start: "{start}"
    end: "{end}"
    timezone: Europe/Sofia
    place: Plovdiv library
    region: plovdiv
    country: BG
    audience: citizen
    organiser: Library
"""


FIRST = ("2030-10-08 10:00", "2030-10-08 11:00")
MOVED = ("2030-10-09 15:30", "2030-10-09 17:00")


def import_file(database_url: str, path: Path, tmp_path: Path) -> None:
    result = run_bot(["events", "import", str(path)], bot_env(database_url), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def settings(database_url: str, data_dir: Path = ROOT / "data") -> Settings:
    return Settings(
        _env_file=None,
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        RASA_URL="http://127.0.0.1:1",
        FLOOD_MESSAGES=1000,
    )


@asynccontextmanager
async def bot(database_url: str, data_dir: Path = ROOT / "data") -> AsyncIterator[Services]:
    """The bot as it starts: settings, migrations, data/events/ loaded, the dialogue built."""
    async with bootstrap(settings(database_url, data_dir), nlu=FakeNLU()) as services:
        await services.shipped_events.load(services.clock.now())
        yield services


async def ask_for_reminders(database_url: str, data_dir: Path = ROOT / "data") -> int:
    async with bot(database_url, data_dir) as services:
        async with services.sessions() as session:
            event_id = await session.scalar(select(EventRow.id).where(EventRow.key == KEY))
        assert event_id is not None
        await services.dialogue.handle(Incoming(USER, command="start", platform_language="en"))
        await services.dialogue.handle(Incoming(USER, callback=f"er:{event_id}"))
    return int(event_id)


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def outbox(database_url: str) -> list[tuple[str, str, str, dt.datetime]]:
    """(key, kind, status, not_before) of everything queued for USER, in key order."""
    engine = make_engine(database_url)
    try:
        async with make_sessions(engine)() as session:
            rows = await session.execute(
                select(OutboxItem.key, OutboxItem.kind, OutboxItem.status, OutboxItem.not_before)
                .where(OutboxItem.user_id == USER, OutboxItem.kind != "tip")
                .order_by(OutboxItem.key)
            )
            return [(k, kind, status, utc(at)) for k, kind, status, at in rows.all()]
    finally:
        await engine.dispose()


async def version(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with make_sessions(engine)() as session:
            found = await session.scalar(select(EventRow.version).where(EventRow.key == KEY))
            assert found is not None
            return int(found)
    finally:
        await engine.dispose()


def local(when: str) -> dt.datetime:
    return dt.datetime.fromisoformat(when).replace(tzinfo=SOFIA).astimezone(dt.UTC)


def assert_moved(rows: list[tuple[str, str, str, dt.datetime]]) -> None:
    """The reminders wait for the new start (24 h and 1 h before, the default offsets), those
    for the old start are withdrawn, and one notice of the change waits to be sent."""
    start, old_start = local(MOVED[0]), local(FIRST[0])
    waiting = [(kind, at) for _key, kind, status, at in rows if status == "pending"]
    reminders = sorted(at for kind, at in waiting if kind == "reminder")
    assert reminders == [start - dt.timedelta(hours=24), start - dt.timedelta(hours=1)]
    notices = [at for kind, at in waiting if kind == "event_notice"]
    assert len(notices) == 1
    withdrawn = sorted(at for _k, kind, status, at in rows if status == "cancelled")
    assert withdrawn == [old_start - dt.timedelta(hours=24), old_start - dt.timedelta(hours=1)]


async def test_import_moves_the_reminders_and_tells_who_asked_once(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(event_csv(*FIRST), encoding="utf-8")
    import_file(database_url, path, tmp_path)
    await ask_for_reminders(database_url)
    start = local(FIRST[0])
    assert sorted(at for _k, kind, _s, at in await outbox(database_url) if kind == "reminder") == [
        start - dt.timedelta(hours=24),
        start - dt.timedelta(hours=1),
    ]

    path.write_text(event_csv(*MOVED), encoding="utf-8")
    import_file(database_url, path, tmp_path)

    moved = await outbox(database_url)
    assert_moved(moved)
    assert await version(database_url) == 2
    # The same file again: no new version, nothing withdrawn, nothing queued.
    import_file(database_url, path, tmp_path)
    assert await outbox(database_url) == moved
    assert await version(database_url) == 2


async def test_start_up_loading_moves_the_reminders_and_restarts_send_nothing(
    database_url: str, tmp_path: Path
) -> None:
    # The shipped content, with data/events/ of this test's own.
    data = tmp_path / "data"
    data.mkdir()
    for entry in (ROOT / "data").iterdir():
        if entry.name != "events":
            (data / entry.name).symlink_to(entry)
    (data / "events").mkdir()
    shipped = data / "events" / "talks.yml"
    shipped.write_text(event_yaml(*FIRST), encoding="utf-8")
    await ask_for_reminders(database_url, data)

    shipped.write_text(event_yaml(*MOVED), encoding="utf-8")
    async with bot(database_url, data):
        pass

    moved = await outbox(database_url)
    assert_moved(moved)
    assert await version(database_url) == 2
    # Two more restarts with the same files: nothing changes, nobody is told again.
    for _ in range(2):
        async with bot(database_url, data):
            pass
    assert await outbox(database_url) == moved
    assert await version(database_url) == 2


def wizard_draft(start: dt.datetime) -> EventDraft:
    return EventDraft(
        key=KEY,
        texts={
            "en": EventText("Scams talk", "For seniors, with examples."),
            "bg": EventText("Беседа за измамите", "За възрастни хора, с примери."),
        },
        start=start,
        end=start + dt.timedelta(hours=1),
        timezone="Europe/Sofia",
        region="plovdiv",
        country="BG",
        audience="citizen",
        organiser="Library",
        place="Plovdiv library",
    )


async def edit_in_the_wizard(dialogue: Dialogue, event_id: int, start: str | None) -> str:
    """/editevent, keeping every answer but the start (when given); the reply to "Save"."""
    await dialogue.handle(Incoming(ORGANISER_ID, command="editevent", args=(str(event_id),)))
    for step in dialogue.features.organising.event_wizard.event_steps:
        if step == "start" and start is not None:
            await dialogue.handle(Incoming(ORGANISER_ID, text=start))
        elif step == "end" and start is not None:
            await dialogue.handle(Incoming(ORGANISER_ID, text="23:00"))
        else:
            await dialogue.handle(Incoming(ORGANISER_ID, callback=f"nk:{step}"))
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, callback="nsave"))
    return outcome.replies[0].text


async def test_the_wizard_saving_an_unchanged_event_keeps_the_reminders_and_tells_nobody(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock
) -> None:
    start = dt.datetime(2026, 10, 8, 18, 0, tzinfo=SOFIA)
    event = await ports.events.save(wizard_draft(start), None, clock.now())
    await dialogue.handle(Incoming(USER, callback=f"er:{event.id}"))
    deliveries, audit = ports.deliveries, ports.audit
    assert isinstance(deliveries, MemoryDeliveries) and isinstance(audit, MemoryAudit)
    waiting = deliveries.pending()
    assert [i.kind for i in waiting] == ["reminder", "reminder"]

    await edit_in_the_wizard(dialogue, event.id, None)

    # Nothing changed: no new version, the same reminders wait, no notice.
    assert deliveries.pending() == waiting
    assert (await ports.events.get(event.id)) == event
    assert audit.rows[-1][:2] == (ORGANISER_ID, "event_updated")

    await edit_in_the_wizard(dialogue, event.id, "2026-10-09 21:00")

    moved = dt.datetime(2026, 10, 9, 21, 0, tzinfo=SOFIA)
    pending = deliveries.pending()
    assert sorted(i.not_before for i in pending if i.kind == "reminder") == [
        moved - dt.timedelta(hours=24),
        moved - dt.timedelta(hours=1),
    ]
    assert [i.user_id for i in pending if i.kind == "event_notice"] == [USER]
    assert audit.rows[-1][2]["told"] == 1


async def test_reminders_are_withdrawn_with_one_statement_however_many_asked(
    database_url: str, catalog: Catalog
) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        now = dt.datetime.now(dt.UTC)
        service = event_service(settings(database_url), catalog, sessions, SystemClock())
        start = local(FIRST[0])
        first = await service.save(wizard_draft(start), Origin(None), now)
        users, reminders = SqlUsers(sessions), SqlReminders(sessions)
        updates: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
            if statement.lstrip().upper().startswith("UPDATE OUTBOX"):
                updates.append(statement)

        sql_event.listen(engine.sync_engine, "before_cursor_execute", count)
        told = []
        for people, hours in ((3, 1), (40, 2)):
            for user in range(1000, 1000 + people):
                await users.touch(user, "bg", now)
                await reminders.add(user, first.event.id, now)
            updates.clear()
            saved = await service.save(
                wizard_draft(start + dt.timedelta(hours=hours)), Origin(None), now
            )
            told.append((saved.told, len(updates)))
        assert told == [(3, 1), (40, 1)]
    finally:
        await engine.dispose()
