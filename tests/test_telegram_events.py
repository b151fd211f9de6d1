"""Events, reminders and announcements end to end: real PTB against the fake Bot API, real
SQLite, the real delivery engine and a controlled clock (the NLU is a fake here)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import bootstrap
from bot.channels.telegram_sender import TelegramSender
from bot.core.messages import Incoming
from tests.auxil.telegram_bot import ORGANISER, USER, Bot, running_bot, settings_for
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.core import FakeNLU, FixedClock

SOFIA = ZoneInfo("Europe/Sofia")


def buttons(bot: Bot) -> list[str]:
    for sent in reversed(bot.api.sent):
        if sent.buttons:
            return [b.get("callback_data", "") for b in sent.buttons]
    return []


async def tick(bot: Bot) -> None:
    delivery = bot.services.delivery(TelegramSender(bot.app.bot))
    await bot.services.tick(delivery)


async def create_event(bot: Bot, start: str, end: str) -> None:
    org = ORGANISER
    await bot.say("/newevent", user=org)
    for lang in bot.catalog.languages:
        await bot.say(f"Phishing clinic ({lang})", user=org)
        await bot.say(f"Bring the suspicious messages you received ({lang}).", user=org)
    await bot.press(f"nz:{bot.catalog.timezones.index('Europe/Sofia')}", user=org)
    await bot.say(start, user=org)
    await bot.say(end, user=org)
    await bot.say("Sofia, Library, hall 2", user=org)
    await bot.press("nk:online_url", user=org)
    await bot.press("nr:sofia_city", user=org)
    await bot.press("na:all", user=org)
    await bot.say("CERT Bulgaria", user=org)
    await bot.press("nk:link", user=org)
    await bot.press("nsave", user=org)


async def test_samples_are_listed_with_calendar_file(tmp_path: Path) -> None:
    async with running_bot(tmp_path, FakeNLU(), FakeBotAPI()) as bot:
        replies = await bot.say("/events", language="bg")
        assert "Предстоящи събития" in replies[0]
        first = next(d for d in buttons(bot) if d.startswith("ev:"))
        replies = await bot.press(first)
        assert bot.catalog.strings["bg"]["events.sample"].strip('"')[:10] in replies[0]
        await bot.press("ec:" + first.split(":")[1])
        document = bot.api.sent[-1]
        assert document.method == "sendDocument"
        assert document.params["document"].startswith(b"BEGIN:VCALENDAR")


async def test_reminder_delivered_before_the_start_and_change_notice(tmp_path: Path) -> None:
    clock = FixedClock(dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC))
    api = FakeBotAPI()
    async with running_bot(tmp_path, FakeNLU(), api, clock) as bot:
        await create_event(bot, "2026-10-08 18:00", "20:00")
        await bot.say("/events")
        # The samples are a year later: this event comes first.
        event = next(d for d in buttons(bot) if d.startswith("ev:"))
        await bot.press(event)
        await bot.press("er:" + event.split(":")[1])
        start = dt.datetime(2026, 10, 8, 18, 0, tzinfo=SOFIA)
        clock.current = start - dt.timedelta(hours=24) + dt.timedelta(minutes=1)
        before = len(api.messages_to(USER))
        await tick(bot)
        reminders = api.messages_to(USER)[before:]
        assert len(reminders) == 1 and "Phishing clinic" in (reminders[0].text or "")
        await tick(bot)  # nothing twice
        assert len(api.messages_to(USER)) == before + 1
        # The organiser moves it; the user is told at the next tick, in their language.
        await bot.say("/editevent " + event.split(":")[1], user=ORGANISER)
        for _ in range(2 * len(bot.catalog.languages) + 1):
            await bot.press(next(d for d in buttons(bot) if d.startswith("nk:")), user=ORGANISER)
        await bot.say("2026-10-09 18:00", user=ORGANISER)
        await bot.say("20:00", user=ORGANISER)
        for _ in range(6):
            await bot.press(next(d for d in buttons(bot) if d.startswith("nk:")), user=ORGANISER)
        await bot.press("nsave", user=ORGANISER)
        await tick(bot)
        notice = api.messages_to(USER)[-1]
        assert "9 Oct" in (notice.text or "") or "Fri" in (notice.text or "")
        # After the start, the 1-hour reminder of the old time is never sent.
        clock.current = dt.datetime(2026, 10, 10, 0, 0, tzinfo=dt.UTC)
        count = len(api.messages_to(USER))
        await tick(bot)
        assert len(api.messages_to(USER)) == count


async def test_announcement_to_an_audience_is_delivered_and_reported(tmp_path: Path) -> None:
    clock = FixedClock(dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC))
    api = FakeBotAPI()
    async with running_bot(tmp_path, FakeNLU(), api, clock) as bot:
        for user in (101, 102, 103):
            await bot.say("/start", user=user, language="bg" if user != 103 else "en")
        api.blocked.add(102)
        assert await bot.say("/announce", user=USER) == [
            bot.catalog.strings["en"]["error.organisers_only"]
        ]
        await bot.say("/announce", user=ORGANISER)
        await bot.say("<b>Уебинар</b> за фишинга в четвъртък", user=ORGANISER)
        await bot.say("Запишете се | https://cybersecuritymonth.eu", user=ORGANISER)
        await bot.press("al:bg", user=ORGANISER)
        await bot.press("as", user=ORGANISER)
        await bot.press("asy", user=ORGANISER)
        before = len(api.sent)
        await tick(bot)
        got = [s.chat_id for s in api.sent[before:] if (s.text or "").startswith("<b>Уебинар</b>")]
        assert sorted(got) == [101]
        assert api.messages_to(101)[-1].buttons[0]["url"] == "https://cybersecuritymonth.eu"
        replies = await bot.say("/broadcasts", user=ORGANISER)
        assert "sent 1" in replies[0] and "blocked 1" in replies[0]
        await bot.say("/stats", user=ORGANISER)
        assert api.sent[-1].method == "sendPhoto"


async def test_every_organiser_command_is_refused_to_a_user(tmp_path: Path) -> None:
    async with running_bot(tmp_path, FakeNLU(), FakeBotAPI()) as bot:
        refused = bot.catalog.strings["en"]["error.organisers_only"]
        for command in (
            "/newevent",
            "/editevent 1",
            "/cancelevent 1",
            "/announce",
            "/broadcasts",
            "/stats",
        ):
            assert await bot.say(command) == [refused], command
        assert await bot.say("/organiser add 5") == [bot.catalog.strings["en"]["error.admins_only"]]
        for data in ("nsave", "nk:start", "asy", "as", "bx:1", "ecx:1", "aa:all"):
            assert await bot.press(data) == [refused], data


async def test_broadcast_interrupted_by_a_restart_resumes_and_nobody_gets_it_twice(
    tmp_path: Path,
) -> None:
    clock = FixedClock(dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC))
    api = FakeBotAPI()
    users = list(range(2001, 2031))
    async with running_bot(tmp_path, FakeNLU(), api, clock) as bot:
        for user in users:
            await bot.say("/start", user=user)
        await bot.say("/announce", user=ORGANISER)
        await bot.say("Webinar on Thursday", user=ORGANISER)
        await bot.press("ab", user=ORGANISER)
        await bot.press("aa:all", user=ORGANISER)
        await bot.press("as", user=ORGANISER)
        await bot.press("asy", user=ORGANISER)
        start = len(api.sent)  # the organiser's preview is not a delivery
        # The process dies after queueing a first batch of 10 and sending part of it.
        bot.services.broadcasts.batch = 10
        await bot.services.broadcasts.one_batch(clock.now())
        delivery = bot.services.delivery(TelegramSender(bot.app.bot))
        delivery.batch = 4
        await delivery.run_once()
    async with running_bot(tmp_path, FakeNLU(), api, clock) as bot:
        for _ in range(3):
            await tick(bot)
    received = [s.chat_id for s in api.sent[start:] if s.text == "Webinar on Thursday"]
    # Everyone who uses the bot, the organiser included, exactly once.
    assert sorted(received) == sorted([*users, ORGANISER])


async def test_one_hour_reminder_across_the_end_of_summer_time(tmp_path: Path) -> None:
    # Summer time ends in Sofia at 04:00 on 25 October 2026 (back to 03:00). An event at 04:30
    # (EET, 02:30 UTC) is reminded 60 real minutes before: 01:30 UTC, which is the second 03:30
    # on the clock, not the first one (00:30 UTC).
    clock = FixedClock(dt.datetime(2026, 10, 24, 12, 0, tzinfo=dt.UTC))
    api = FakeBotAPI()
    async with running_bot(tmp_path, FakeNLU(), api, clock) as bot:
        await create_event(bot, "2026-10-25 04:30", "06:00")
        await bot.say("/events")
        event = next(d for d in buttons(bot) if d.startswith("ev:"))
        await bot.press("er:" + event.split(":")[1])
        sent_before = len(api.messages_to(USER))
        clock.current = dt.datetime(2026, 10, 25, 0, 45, tzinfo=dt.UTC)  # the first 03:45
        await tick(bot)
        assert len(api.messages_to(USER)) == sent_before
        clock.current = dt.datetime(2026, 10, 25, 1, 31, tzinfo=dt.UTC)  # the second 03:31
        await tick(bot)
        reminders = api.messages_to(USER)[sent_before:]
        assert len(reminders) == 1 and "Phishing clinic" in (reminders[0].text or "")


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Sofia", "Thu 7 October 2027, 18:30–20:00, Sofia (UTC+03:00) · Sofia (city)"),
        ("Europe/Lisbon", "Thu 7 October 2027, 16:30–18:00, Lisbon (UTC+01:00)"),
    ],
)
async def test_without_a_zone_of_their_own_users_see_the_default_timezone(
    tmp_path: Path, zone: str, shown: str
) -> None:
    # Issue 13: an English speaker in Sofia saw the evening talk at 17:30 Brussels time.
    settings = settings_for(tmp_path).model_copy(update={"default_timezone": zone})
    clock = FixedClock(dt.datetime(2027, 9, 1, 8, 0, tzinfo=dt.UTC))
    async with bootstrap(settings, nlu=FakeNLU(), clock=clock) as services:
        await services.shipped_events.load(clock.now())
        outcome = await services.dialogue.handle(
            Incoming(USER, command="events", platform_language="en")
        )
    talk = next(p for p in outcome.replies[0].text.split("\n\n") if "evening talk in Sofia" in p)
    assert shown in talk, talk
    assert "Brussels" not in talk
