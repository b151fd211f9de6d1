"""Daily tips end to end below the chat: subscriptions in the database, the tick, the outbox,
the rate limiter and the real python-telegram-bot Bot against the fake Bot API, on SQLite and
PostgreSQL, with a clock the test controls."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.bootstrap import PLAN_EVERY, bootstrap
from bot.channels.telegram_sender import TelegramSender
from bot.content.catalog import Catalog
from bot.core.schedule import local_instant
from bot.core.tips import TipsPolicy
from bot.delivery.engine import OUTAGE_STREAK, DeliveryEngine, DeliveryReport
from bot.delivery.ports import Status
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.tips import PlanReport, TipPlanner
from bot.storage.db import make_engine, make_sessions
from bot.storage.outbox import BULK, SqlOutbox, new_row
from bot.storage.schema import OutboxItem, Subscription
from bot.storage.subscriptions import SqlSubscriptions
from bot.storage.users import SqlUsers
from tests.auxil.schema import migrated
from tests.auxil.telegram_bot import settings_for
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI
from tests.fakes.core import FakeNLU, FixedClock

UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


class Process:
    """One bot process: its own engine, pool and objects, over the shared database."""

    def __init__(
        self, url: str, catalog: Catalog, clock: FixedClock, api: FakeBotAPI, policy: TipsPolicy
    ) -> None:
        self.engine = make_engine(url)
        self.sessions = make_sessions(self.engine)
        self.outbox = SqlOutbox(self.sessions)
        self.planner = TipPlanner(self.sessions, catalog, policy, batch=7)
        self.bot = Bot(
            FAKE_TOKEN,
            base_url="http://bot-api.test/bot",
            request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
        )
        self.delivery = DeliveryEngine(
            self.outbox,
            TelegramSender(self.bot),
            RateLimiter(1000, per_chat_interval=0.0),
            clock,
            batch=5,
        )
        self.clock = clock

    async def tick(self) -> None:
        await self.planner.enqueue_due(self.clock.now())
        await self.delivery.run_once()

    async def close(self) -> None:
        await self.engine.dispose()


class World:
    def __init__(self, url: str, catalog: Catalog, policy: TipsPolicy | None = None) -> None:
        self.url, self.catalog = url, catalog
        self.clock = FixedClock(utc(2026, 10, 5, 3, 0))
        self.api = FakeBotAPI()
        self.policy = policy or TipsPolicy()
        self.processes: list[Process] = []

    def process(self) -> Process:
        proc = Process(self.url, self.catalog, self.clock, self.api, self.policy)
        self.processes.append(proc)
        return proc

    async def subscribe(
        self,
        user: int,
        zone: str,
        minute: int = 8 * 60,
        audience: str = "citizen",
        language: str = "en",
    ) -> None:
        proc = self.processes[0]
        await SqlUsers(proc.sessions).touch(user, language, self.clock.now())
        await SqlSubscriptions(proc.sessions).save(user, audience, minute, zone, self.clock.now())

    def at(self, *args: int) -> None:
        self.clock.current = utc(*args)

    def tips_to(self, user: int) -> list[str]:
        return [s.text or "" for s in self.api.messages_to(user)]

    async def statuses(self) -> Counter[str]:
        async with self.processes[0].sessions() as session:
            rows = await session.execute(select(OutboxItem.status))
            return Counter(rows.scalars())


@pytest.fixture
async def world(database_url: str, catalog: Catalog) -> AsyncIterator[World]:
    migrated(database_url)
    w = World(database_url, catalog)
    w.process()
    yield w
    for proc in w.processes:
        await proc.close()


async def test_users_in_several_time_zones_get_their_tip_at_local_time(
    world: World, catalog: Catalog
) -> None:
    await world.subscribe(1, "Europe/Sofia", language="bg")
    await world.subscribe(2, "Europe/Lisbon")
    await world.subscribe(3, "Asia/Tokyo", audience="business")
    proc = world.processes[0]
    world.at(2026, 10, 5, 4, 59)
    await proc.tick()
    assert world.api.sent == []
    world.at(2026, 10, 5, 5, 0)  # 08:00 in Sofia
    await proc.tick()
    assert len(world.tips_to(1)) == 1 and world.tips_to(2) == []
    assert catalog.tips["bg"]["citizen"][4].text[:30] in world.tips_to(1)[0]
    world.at(2026, 10, 5, 7, 0)  # 08:00 in Lisbon
    await proc.tick()
    assert len(world.tips_to(2)) == 1
    assert catalog.tips["en"]["citizen"][4].text[:30] in world.tips_to(2)[0]
    world.at(2026, 10, 5, 23, 0)  # 08:00 on 6 October in Tokyo
    await proc.tick()
    assert catalog.tips["en"]["business"][5].text[:30] in world.tips_to(3)[0]
    assert [len(world.tips_to(u)) for u in (1, 2, 3)] == [1, 1, 1]


async def test_end_of_summer_time_mid_campaign(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")
    proc = world.processes[0]
    sent_at = []
    # Tick every 30 minutes from 23 to 27 October (summer time ends on the 25th).
    world.at(2026, 10, 23, 0, 0)
    while world.clock.now() < utc(2026, 10, 27, 0, 0):
        before = len(world.api.sent)
        await proc.tick()
        if len(world.api.sent) > before:
            sent_at.append(world.clock.now())
        world.clock.advance(minutes=30)
    local = [t.astimezone(ZoneInfo("Europe/Sofia")) for t in sent_at]
    assert [(t.day, t.hour) for t in local] == [(23, 8), (24, 8), (25, 8), (26, 8)]
    assert [t.hour for t in sent_at] == [5, 5, 6, 6]  # UTC+3, then UTC+2


async def test_restart_mid_day_sends_nothing_twice_and_catches_up_today_only(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")  # 08:00
    await world.subscribe(2, "Europe/Sofia", minute=10 * 60)
    first = world.processes[0]
    world.at(2026, 10, 5, 5, 0)
    await first.tick()
    await first.close()
    world.processes.remove(first)
    # The process was down from 05:00 to 12:00 UTC; a new one starts.
    second = world.process()
    world.at(2026, 10, 5, 12, 0)
    await second.tick()
    await second.tick()
    assert len(world.tips_to(1)) == 1  # nothing twice
    assert len(world.tips_to(2)) == 1  # 10:00's tip caught up: still 5 October in Sofia
    # Down for a whole day: 6 October's tip is not sent late on the 7th.
    world.at(2026, 10, 7, 4, 0)
    await second.tick()
    assert len(world.tips_to(1)) == 1
    world.at(2026, 10, 7, 5, 0)
    await second.tick()
    assert len(world.tips_to(1)) == 2
    assert "7 October" in world.tips_to(1)[1]


async def test_two_ticks_at_once_send_each_tip_once(world: World) -> None:
    for user in range(100, 160):
        await world.subscribe(user, "Europe/Sofia")
    other = world.process()
    world.at(2026, 10, 5, 5, 0)
    await asyncio.gather(world.processes[0].tick(), other.tick(), world.processes[0].tick())
    counts = Counter(s.chat_id for s in world.api.sent)
    assert set(counts) == set(range(100, 160))
    assert set(counts.values()) == {1}
    assert (await world.statuses()) == Counter({Status.SENT: 60})


async def test_crash_between_claiming_and_sending(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")
    await world.subscribe(2, "Europe/Sofia")
    proc = world.processes[0]
    world.at(2026, 10, 5, 5, 0)
    await proc.planner.enqueue_due(world.clock.now())
    # A worker claims both, then dies before sending.
    claimed = await proc.outbox.claim(world.clock.now(), 10, dt.timedelta(minutes=2))
    assert len(claimed) == 2
    await proc.close()
    world.processes.remove(proc)
    survivor = world.process()
    await survivor.tick()
    assert world.api.sent == []  # the lease still holds
    world.clock.advance(minutes=3)
    await survivor.tick()
    assert sorted(s.chat_id for s in world.api.sent) == [1, 2]
    await survivor.tick()
    assert len(world.api.sent) == 2


async def test_crash_after_handing_to_telegram_is_never_resent(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")
    proc = world.processes[0]
    world.at(2026, 10, 5, 5, 0)
    await proc.planner.enqueue_due(world.clock.now())
    claimed = await proc.outbox.claim(world.clock.now(), 10, dt.timedelta(minutes=2))
    await proc.outbox.mark_sending([claimed[0].id], world.clock.now())
    # ...the process dies here: Telegram may or may not have the message.
    world.clock.advance(minutes=3)
    report = await proc.delivery.run_once()
    assert report.counts[Status.UNCERTAIN] == 1
    assert world.api.sent == []
    assert (await world.statuses()) == Counter({Status.UNCERTAIN: 1})


async def test_blocked_user_is_unsubscribed(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")
    await world.subscribe(2, "Europe/Sofia")
    world.api.blocked.add(2)
    proc = world.processes[0]
    world.at(2026, 10, 5, 5, 0)
    await proc.tick()
    assert len(world.tips_to(1)) == 1
    assert (await world.statuses()) == Counter({Status.SENT: 1, Status.BLOCKED: 1})
    async with proc.sessions() as session:
        sub = await session.get(Subscription, 2)
        assert sub is not None and not sub.active and sub.next_due_at is None
    world.at(2026, 10, 6, 5, 0)
    await proc.tick()
    assert (await world.statuses())[Status.BLOCKED] == 1  # nothing new for user 2


async def test_429_storm_delays_but_keeps_order_and_loses_nothing(world: World) -> None:
    users = list(range(200, 212))
    for user in users:
        await world.subscribe(user, "Europe/Sofia")
    world.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=3)
    world.at(2026, 10, 5, 5, 0)
    # One worker: the order of the whole run is defined, and a 429 must not change it.
    world.processes[0].delivery.concurrency = 1
    await world.processes[0].tick()
    assert [s.chat_id for s in world.api.sent] == users
    assert (await world.statuses()) == Counter({Status.SENT: len(users)})


async def test_transient_errors_retry_with_backoff_then_give_up(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")
    await world.subscribe(2, "Europe/Sofia")
    world.api.fail("sendMessage", 502, "Bad Gateway", times=1)
    world.api.unknown_chats.add(2)
    proc = world.processes[0]
    world.at(2026, 10, 5, 5, 0)
    await proc.tick()
    # User 1's first attempt failed (502): it waits for its backoff, user 2's chat is gone.
    assert world.tips_to(1) == []
    assert (await world.statuses()) == Counter({Status.PENDING: 1, Status.FAILED: 1})
    world.clock.advance(minutes=1)
    await proc.tick()
    assert len(world.tips_to(1)) == 1
    # Retries are bounded: a chat that always fails ends as failed, not retried forever.
    await world.subscribe(3, "Europe/Sofia", minute=9 * 60)
    world.api.fail("sendMessage", 500, "Internal Server Error", times=50)
    world.at(2026, 10, 5, 6, 0)
    for _ in range(10):
        await proc.tick()
        world.clock.advance(minutes=10)
    statuses = await world.statuses()
    assert statuses[Status.FAILED] == 2 and statuses[Status.SENT] == 1
    assert world.tips_to(3) == []


async def test_undelivered_tip_expires_at_local_midnight(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")
    proc = world.processes[0]
    world.at(2026, 10, 5, 5, 0)
    await proc.planner.enqueue_due(world.clock.now())  # enqueued, then the bot goes down
    world.at(2026, 10, 5, 21, 30)  # 00:30 on 6 October in Sofia
    await proc.delivery.run_once()
    assert world.api.sent == []
    assert (await world.statuses()) == Counter({Status.EXPIRED: 1})


@pytest.mark.parametrize(
    ("day", "expected"),
    [((2026, 9, 30), None), ((2026, 10, 1), 0), ((2026, 10, 31), 30), ((2026, 11, 1), None)],
)
async def test_window_first_and_last_day(
    world: World, catalog: Catalog, day: tuple[int, int, int], expected: int | None
) -> None:
    world.at(*day, 0, 0)
    await world.subscribe(1, "Europe/Lisbon", minute=12 * 60)
    world.clock.current = local_instant(dt.date(*day), 12 * 60, ZoneInfo("Europe/Lisbon"))
    await world.processes[0].tick()
    if expected is None:
        assert world.api.sent == []
    else:
        assert catalog.tips["en"]["citizen"][expected].text[:30] in world.tips_to(1)[0]


async def test_off_season_schedule_sends_all_year(database_url: str, catalog: Catalog) -> None:
    migrated(database_url)
    world = World(database_url, catalog, TipsPolicy(off_season=True))
    proc = world.process()
    try:
        world.at(2026, 11, 26, 0, 0)
        await world.subscribe(1, "Europe/Lisbon", minute=12 * 60)
        world.at(2026, 11, 26, 12, 0)
        await proc.tick()
        assert catalog.tips["en"]["citizen"][25].text[:30] in world.tips_to(1)[0]
    finally:
        await proc.close()


async def test_tips_carry_valid_buttons(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia", language="bg")
    world.at(2026, 10, 5, 5, 0)
    await world.processes[0].tick()
    buttons = world.api.sent[0].buttons
    assert [b["callback_data"] for b in buttons][1] == "uo"
    assert buttons[0]["callback_data"].startswith("t:")


async def test_unsubscribed_user_gets_nothing(world: World) -> None:
    await world.subscribe(1, "Europe/Sofia")
    proc = world.processes[0]
    await SqlSubscriptions(proc.sessions).deactivate(1, world.clock.now())
    world.at(2026, 10, 5, 5, 0)
    await proc.tick()
    assert world.api.sent == []


async def test_one_chats_messages_keep_their_order_with_many_workers(world: World) -> None:
    """Several items for one chat in one batch (announcement parts): never reordered, even
    with concurrent workers and a 429 in the middle."""
    proc = world.processes[0]
    await SqlUsers(proc.sessions).touch(5, "en", world.clock.now())
    await SqlUsers(proc.sessions).touch(6, "en", world.clock.now())
    rows = [
        new_row(
            f"part:{chat}:{n}",
            chat,
            "announcement",
            {"text": f"part {n}", "buttons": []},
            world.clock.now(),
        )
        for n in range(4)
        for chat in (5, 6)
    ]
    await proc.outbox.enqueue(rows)
    world.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    proc.delivery.limiter.per_chat_interval = 0.0
    await proc.delivery.run_once()
    for chat in (5, 6):
        assert [s.text for s in world.api.messages_to(chat)] == [f"part {n}" for n in range(4)]


async def test_failures_between_successes_are_no_outage(world: World) -> None:
    """The outage pause is for failures in a row: a 502 now and then, with messages going out
    between them, must not stop all sending."""
    proc = world.processes[0]
    reports = []
    for n in range(2 * OUTAGE_STREAK):
        await announce_to(proc, range(1000 + 2 * n, 1002 + 2 * n), world.clock.now(), n, "hi")
        world.api.fail("sendMessage", 502, "Bad Gateway", times=1)
        reports.append(await proc.delivery.run_once())
    assert not any(report.counts["outage"] for report in reports)
    assert sum(report.counts["retry"] for report in reports) == 2 * OUTAGE_STREAK


class RunningClock(FixedClock):
    """Time that moves on by `step` each time it is read: a long delivery, made short."""

    def __init__(self, now: dt.datetime, step: dt.timedelta) -> None:
        super().__init__(now)
        self.step = step

    def now(self) -> dt.datetime:
        self.current += self.step
        return self.current


async def announce_to(
    proc: Process,
    users: range,
    now: dt.datetime,
    announcement: int = 1,
    text: str = "Webinar on Thursday",
) -> None:
    for user in users:
        await SqlUsers(proc.sessions).touch(user, "en", now)
    await proc.outbox.enqueue(
        [
            new_row(
                f"ann:{announcement}:{user}",
                user,
                "announcement",
                {"text": text, "buttons": []},
                now,
                ref=f"ann:{announcement}",
                priority=BULK,
            )
            for user in users
        ]
    )


async def test_tips_due_while_an_announcement_goes_out_are_sent_first(world: World) -> None:
    proc = world.processes[0]
    for user in (1, 2, 3):
        await world.subscribe(user, "Europe/Sofia")
    await announce_to(proc, range(100, 140), world.clock.now())
    world.at(2026, 10, 5, 5, 0)  # 08:00 in Sofia: queued after the announcement
    await proc.planner.enqueue_due(world.clock.now())
    await proc.delivery.run_once(max_items=5)  # one batch, its chats sent to at once
    first = [s.chat_id for s in world.api.sent if s.method == "sendMessage"]
    assert len(first) == 5 and {1, 2, 3} <= set(first)
    await proc.delivery.run_once()
    assert len(world.api.sent) == 43


async def test_a_long_delivery_stops_to_let_planning_run(world: World) -> None:
    proc = world.processes[0]
    await announce_to(proc, range(100, 140), world.clock.now())
    proc.delivery.clock = RunningClock(world.clock.now(), dt.timedelta(seconds=10))
    report = await proc.delivery.run_once(max_duration=dt.timedelta(seconds=30))
    assert report.cut_short
    sent = len(world.api.sent)
    assert 0 < sent < 40  # a few batches of 5, then back to the caller
    report = await proc.delivery.run_once()
    assert not report.cut_short and len(world.api.sent) == 40


async def test_the_tick_plans_again_between_rounds_of_a_long_delivery(tmp_path: Path) -> None:
    async with bootstrap(settings_for(tmp_path), nlu=FakeNLU()) as services:
        planned: list[dt.datetime] = []
        enqueue_due = services.planner.enqueue_due

        async def planning(now: dt.datetime) -> PlanReport:
            planned.append(now)
            return await enqueue_due(now)

        services.planner.enqueue_due = planning  # type: ignore[method-assign]

        class LongDelivery:
            """Three rounds, each stopped at the time limit but the last."""

            def __init__(self) -> None:
                self.rounds = 0

            async def run_once(
                self, max_items: int | None = None, max_duration: dt.timedelta | None = None
            ) -> DeliveryReport:
                assert max_duration == PLAN_EVERY
                self.rounds += 1
                return DeliveryReport(cut_short=self.rounds < 3)

        delivery = LongDelivery()
        assert await services.tick(cast(DeliveryEngine, delivery)) is True
        assert delivery.rounds == 3 and len(planned) == 3
