"""Delivery benchmarks: finding due tips among many subscribers, and sending through the fake
Bot API at a rate cap with blocked users and injected 429s."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app import settle_heap
from bot.channels.telegram_sender import TelegramSender
from bot.content.catalog import Catalog
from bot.core.outbox_refs import announcement_ref
from bot.core.schedule import next_send
from bot.core.tips import TipsPolicy
from bot.delivery.engine import DeliveryEngine
from bot.delivery.ports import FINAL, Status
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.tips import PlanReport, TipPlanner
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.outbox import SqlOutbox, new_row
from bot.storage.schema import OutboxItem, Subscription, User
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI
from tests.fakes.core import FixedClock

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
TICK_AT = dt.datetime(2026, 10, 5, 5, 0, 10, tzinfo=dt.UTC)  # 08:00:10 in Sofia
PREVIOUS_TICK = TICK_AT - dt.timedelta(seconds=20)
MINUTES = [7 * 60, 8 * 60, 12 * 60, 18 * 60, 20 * 60]


def rss_mb() -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else 0.0


@dataclass
class DueResult:
    backend: str
    subscribers: int
    due: int
    find_ms: float
    first_batch_ms: float
    enqueue_all_s: float


class Database:
    """A throw-away database: a SQLite file, or a new PostgreSQL database."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.name = f"ecsm_bench_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{workdir / (self.name + '.sqlite3')}"
        else:
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = POSTGRES.rsplit("/", 1)[0] + "/" + self.name

    def drop(self) -> None:
        if self.backend == "postgresql":
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


async def populate(url: str, count: int, zones: tuple[str, ...]) -> int:
    """`count` subscribers with realistic times and zones; returns how many are due at TICK_AT."""
    engine = make_engine(url)
    rng = random.Random(7)
    due = 0
    created = TICK_AT - dt.timedelta(days=1)
    try:
        for start in range(0, count, 20_000):
            users, subs = [], []
            for user_id in range(start + 1, min(count, start + 20_000) + 1):
                # Most people keep a preset time and the zone of their language.
                zone = "Europe/Sofia" if rng.random() < 0.6 else rng.choice(zones)
                minute = rng.choice(MINUTES) if rng.random() < 0.8 else rng.randrange(1440)
                # As a running bot keeps it: the next send after the previous tick.
                next_due = next_send(PREVIOUS_TICK, minute, ZoneInfo(zone))
                due += next_due <= TICK_AT
                users.append(
                    {
                        "id": user_id,
                        "language": rng.choice(["en", "bg"]),
                        "first_seen": created,
                        "last_seen": created,
                    }
                )
                subs.append(
                    {
                        "user_id": user_id,
                        "audience": rng.choice(["citizen", "business"]),
                        "send_minute": minute,
                        "timezone": zone,
                        "active": True,
                        "next_due_at": next_due,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            async with engine.begin() as conn:
                await conn.execute(insert(User), users)
                await conn.execute(insert(Subscription), subs)
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return due


async def bench_due(backend: str, count: int, catalog: Catalog, workdir: Path) -> DueResult:
    db = Database(backend, workdir)
    try:
        migrate(db.url)
        due = await populate(db.url, count, catalog.timezones)
        engine = make_engine(db.url)
        sessions = make_sessions(engine)
        try:
            query = (
                select(Subscription.user_id, Subscription.next_due_at)
                .where(Subscription.active.is_(True), Subscription.next_due_at <= TICK_AT)
                .order_by(Subscription.next_due_at)
                .limit(1000)
            )
            async with sessions() as session:
                await session.execute(query)  # warm the cache as a running bot would have it
                started = time.perf_counter()
                await session.execute(query)
                find_ms = 1000 * (time.perf_counter() - started)
            planner = TipPlanner(sessions, catalog, TipsPolicy())
            started = time.perf_counter()
            await planner._one_batch(TICK_AT, PlanReport())
            first_batch_ms = 1000 * (time.perf_counter() - started)
            started = time.perf_counter()
            await planner.enqueue_due(TICK_AT)
            enqueue_all_s = time.perf_counter() - started + first_batch_ms / 1000
        finally:
            await engine.dispose()
        return DueResult(backend, count, due, find_ms, first_batch_ms, enqueue_all_s)
    finally:
        db.drop()


@dataclass
class SendResult:
    cap: float
    messages: int
    elapsed_s: float
    paused_s: float
    sent: int
    blocked: int
    duplicates: int
    lost: int
    rss_growth_mb: float
    refused_by_fake: int

    @property
    def requests(self) -> int:
        # A 403 from a blocked user uses the rate budget just like a delivered message.
        return self.sent + self.blocked

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed_s

    @property
    def rate_outside_pauses(self) -> float:
        return self.requests / (self.elapsed_s - self.paused_s)


def fake_telegram(
    cap: float, recipients: int, seed: int, outbox: SqlOutbox, now: dt.datetime
) -> tuple[FakeBotAPI, DeliveryEngine]:
    """The fake Bot API enforcing `cap`, with 1% of the recipients (users 1..recipients)
    blocking the bot, and a delivery engine sending to it through the real PTB Bot."""
    api = FakeBotAPI(enforce_rate_limits=True, global_per_second=int(cap))
    api.blocked.update(random.Random(seed).sample(range(1, recipients + 1), recipients // 100))
    bot = Bot(
        FAKE_TOKEN,
        base_url="http://bot-api.test/bot",
        request=HTTPXRequest(connection_pool_size=256, httpx_kwargs={"transport": api.transport()}),
    )
    delivery = DeliveryEngine(
        outbox,
        TelegramSender(bot),
        RateLimiter(cap),
        FixedClock(now),
        concurrency=128,
        batch=max(100, int(cap)),
    )
    settle_heap()  # as `ecsm-bot run` does once started
    return api, delivery


async def inject_429s(api: FakeBotAPI, duration: float) -> None:
    """Two flood waits during a run of `duration` seconds, as Telegram sends them under load."""
    for pause_before in (0.3 * duration, 0.4 * duration):
        await asyncio.sleep(pause_before)
        api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)


async def users_database(
    stem: Path, users: int, language: str
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """A new SQLite database with users 1..`users`."""
    url = f"sqlite:///{stem}-{uuid.uuid4().hex[:6]}.sqlite3"
    migrate(url)
    engine = make_engine(url)
    async with engine.begin() as conn:
        for start in range(1, users + 1, 10_000):
            await conn.execute(
                insert(User),
                [
                    {"id": u, "language": language, "first_seen": TICK_AT, "last_seen": TICK_AT}
                    for u in range(start, min(users, start + 9_999) + 1)
                ],
            )
    return engine, make_sessions(engine)


async def bench_send(cap: float, messages: int, workdir: Path) -> SendResult:
    engine, sessions = await users_database(workdir / f"send-{int(cap)}", messages, "en")
    now = TICK_AT
    outbox = SqlOutbox(sessions)
    for start in range(1, messages + 1, 5000):
        await outbox.enqueue(
            [
                new_row(
                    f"bench:{u}",
                    u,
                    "announcement",
                    {"text": f"Announcement {u}", "buttons": []},
                    now,
                )
                for u in range(start, min(messages, start + 4999) + 1)
            ]
        )
    api, delivery = fake_telegram(cap, messages, 3, outbox, now)
    rss_before = rss_mb()
    injector = asyncio.create_task(inject_429s(api, messages / cap))
    started = time.perf_counter()
    while True:
        report = await delivery.run_once()
        if not report.counts:
            break
    elapsed = time.perf_counter() - started
    injector.cancel()
    rss_growth = rss_mb() - rss_before
    async with sessions() as session:
        statuses = Counter((await session.execute(select(OutboxItem.status))).scalars())
    await engine.dispose()
    per_chat = Counter(s.chat_id for s in api.sent)
    refused = (
        sum(1 for method, _ in api.calls if method == "sendMessage")
        - len(api.sent)
        - len(api.blocked)
    )
    return SendResult(
        cap=cap,
        messages=messages,
        elapsed_s=elapsed,
        paused_s=float(refused),  # every 429 here says retry_after=1
        sent=statuses[Status.SENT],
        blocked=statuses[Status.BLOCKED],
        duplicates=sum(n - 1 for n in per_chat.values() if n > 1),
        lost=messages - statuses[Status.SENT] - statuses[Status.BLOCKED],
        rss_growth_mb=rss_growth,
        refused_by_fake=refused,
    )


@dataclass
class BroadcastResult:
    cap: float
    subscribers: int
    fan_out_s: float
    attempted: int
    elapsed_s: float
    paused_s: float
    sent: int
    blocked: int
    waiting: int
    duplicates: int
    lost: int
    rss_growth_mb: float

    @property
    def rate(self) -> float:
        return (self.sent + self.blocked) / self.elapsed_s

    @property
    def rate_outside_pauses(self) -> float:
        return (self.sent + self.blocked) / (self.elapsed_s - self.paused_s)


async def bench_broadcast(
    cap: float, subscribers: int, send_limit: int, workdir: Path
) -> BroadcastResult:
    """An announcement to every one of `subscribers` users: fan-out into the outbox, then
    sending at `cap` until `send_limit` messages were attempted (all of them when it is at least
    `subscribers`), with 1% of the users blocking the bot and two injected 429s."""
    from bot.core.ports import Audience
    from bot.storage.broadcasts import BroadcastPlanner, SqlBroadcasts

    engine, sessions = await users_database(workdir / f"broadcast-{int(cap)}", subscribers, "bg")
    now = TICK_AT
    rss_before = rss_mb()
    record = await SqlBroadcasts(sessions).create(
        1, {"text": "<b>Уебинар</b> за фишинга в четвъртък", "buttons": []}, Audience(), now, now
    )
    started = time.perf_counter()
    await BroadcastPlanner(sessions, batch=2_000).fan_out(now)
    fan_out_s = time.perf_counter() - started

    api, delivery = fake_telegram(cap, subscribers, 5, SqlOutbox(sessions), now)
    limit = min(send_limit, subscribers)
    injector = asyncio.create_task(inject_429s(api, limit / cap))
    started = time.perf_counter()
    attempted = 0
    while attempted < limit:
        # Items put back after a 429 are counted again when they are retried, so the loop
        # counts only outcomes that end an item.
        report = await delivery.run_once(
            max_items=None if limit >= subscribers else limit - attempted
        )
        done = sum(n for status, n in report.counts.items() if status in FINAL)
        if not done:
            break
        attempted += done
    elapsed = time.perf_counter() - started
    injector.cancel()
    rss_growth = rss_mb() - rss_before
    async with sessions() as session:
        statuses = Counter(
            (
                await session.execute(
                    select(OutboxItem.status).where(OutboxItem.ref == announcement_ref(record.id))
                )
            ).scalars()
        )
    await engine.dispose()
    per_chat = Counter(s.chat_id for s in api.sent)
    waiting = statuses[Status.PENDING] + statuses[Status.CLAIMED]
    sent, blocked = statuses[Status.SENT], statuses[Status.BLOCKED]
    # Calls that were neither delivered nor a blocked user's 403 were 429s (retry_after=1 each).
    refused = sum(1 for method, _ in api.calls if method == "sendMessage") - len(api.sent) - blocked
    return BroadcastResult(
        cap=cap,
        subscribers=subscribers,
        fan_out_s=fan_out_s,
        attempted=attempted,
        elapsed_s=elapsed,
        paused_s=float(max(0, refused)),
        sent=sent,
        blocked=blocked,
        waiting=waiting,
        duplicates=sum(n - 1 for n in per_chat.values() if n > 1),
        lost=subscribers - sent - blocked - waiting,
        rss_growth_mb=rss_growth,
    )
