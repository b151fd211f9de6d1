"""Editing a published scam alert in Telegram (python-telegram-bot against the fake Bot API, on
SQLite, the bot as bootstrap builds it with the readers of data/typing): the organiser replaces
its examples step by step, the change is in the audit log, and a copy of the new example typed
in Latin letters and forwarded to the bot is answered as that alert at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.bootstrap import stored_alerts
from bot.core.alerts import AlertContent, AlertDraft, AlertStatus
from bot.services.events import Origin
from bot.storage.organisers import SqlAudit
from bot.text.markup import to_plain
from tests.auxil.alert_dev import load_dev_set
from tests.auxil.telegram_bot import ORGANISER, USER, running_bot
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.core import FakeNLU, FixedClock

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
DEV = load_dev_set()
COURIER, NEW_NUMBER = DEV.waves[1], DEV.waves[0]


async def test_an_organiser_replaces_a_published_alerts_examples_in_telegram(
    tmp_path: Path,
) -> None:
    api, clock = FakeBotAPI(), FixedClock(T0)
    async with running_bot(tmp_path, FakeNLU(), api, clock) as bot:
        services = bot.services
        alerts = stored_alerts(services.settings, services.catalog, services.sessions, clock)
        title = "Фалшив „нов номер“ от дете"
        draft = AlertDraft({"bg": AlertContent(title, "SMS", "Обадете се", COURIER.examples)}, "bg")
        alert = await alerts.create(draft, Origin(None, {"via": "test"}), clock.now())
        ui = bot.catalog.text

        asked = await bot.say(f"/editalert {alert.id}", ORGANISER, "bg")
        assert [to_plain(text) for text in asked] == [ui("bg", "alerts.edit.language", id=1)]
        menu = await bot.press("ale:lang:bg", ORGANISER)
        assert any("Примери:</b> 1" in text for text in menu)
        await bot.press("ale:f:examples", ORGANISER)
        saved = await bot.say(NEW_NUMBER.examples[0], ORGANISER, "bg")
        assert saved == [ui("bg", "alerts.example_saved", number=1)]
        done = await bot.press("ale:done", ORGANISER)
        assert done[0] == ui("bg", "alerts.edit.saved", id=1)
        finished = await bot.press("ale:end", ORGANISER)
        assert finished == [ui("bg", "alerts.edit.finished", id=1)]

        stored = await alerts.get(alert.id)
        assert stored is not None and stored.status is AlertStatus.PUBLISHED
        assert stored.content["bg"].examples == NEW_NUMBER.examples
        entries = await SqlAudit(services.sessions).entries()
        edited = [entry for entry in entries if entry.action == "alert_edited"]
        assert len(edited) == 1 and edited[0].actor_id == ORGANISER
        assert edited[0].details["via"] == "chat"

        for copy in NEW_NUMBER.latin[:1] + COURIER.variants[:1]:
            update = api.message_update(USER, copy, "bg", forwarded=True)
            replies = [to_plain(text) for text in await bot.exchange(update)]
            matched = any(title in text and "Съвпада с измама" in text for text in replies)
            assert matched is (copy in NEW_NUMBER.latin), (copy, replies)
