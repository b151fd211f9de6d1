"""An event changed outside the chat (`ecsm-bot events import`, data/events/ at start-up) moves
its pending reminders and tells the people who asked for one, exactly once, like /editevent;
the same file imported or loaded again changes nothing and sends nothing. Real processes for the
command line, the bot's own start-up for data/events/, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import Services, open_services
from bot.core.messages import Incoming
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions
from bot.storage.schema import EventRow, OutboxItem
from tests.conftest import ROOT
from tests.fakes.core import FakeNLU

BOT = str(Path(sys.executable).parent / "ecsm-bot")
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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RASA_"))}
    env.update(DATABASE_URL=database_url, DATA_DIR=str(ROOT / "data"))
    result = subprocess.run(
        [BOT, "events", "import", str(path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
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
    async with open_services(settings(database_url, data_dir), FakeNLU()) as services:
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
