"""The organisers' dashboard with 1,000,000 users and 100 events (issue 17: every page in at
most 200 ms p95). The database is filled in bulk (users with regions and languages over 90
days, subscriptions, finished outbox items, checklist runs, events, messages counted through
the real SqlActivity), the rollups are refreshed once as the tick does, then every page is
asked for through the Starlette app (httpx's ASGI transport, in this process), signed in as an
admin and as a regional organiser."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.bootstrap import dashboard_services
from bot.content.catalog import Catalog
from bot.core.messages import Outcome
from bot.core.outbox_refs import announcement_ref
from bot.core.rollups import MessageKind
from bot.services.figures import FiguresService
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.rollups import SqlActivity, SqlRollups
from bot.storage.schema import (
    BroadcastRow,
    ChecklistRunRow,
    EventRow,
    OutboxItem,
    Subscription,
    User,
)
from bot.web.tools import AudienceSizes
from tests.auxil.dashboard import ADMIN, dashboard_app, dashboard_settings, fake_dashboard
from tests.fakes.core import FixedClock

NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)
REGIONAL = 4242
CHUNK = 20_000
ANNOUNCEMENTS = 25
STATUSES = (
    ("sent",) * 90 + ("blocked",) * 4 + ("failed",) * 2 + ("uncertain",) * 1 + ("expired",) * 3
)


@dataclass
class PageTiming:
    who: str
    page: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass
class DashboardBench:
    backend: str
    users: int
    fill_s: float
    refresh_s: float
    refresh_again_ms: float
    pages: list[PageTiming]


def _ms(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


async def populate(url: str, users: int, events: int, regions: list[str]) -> None:
    engine = make_engine(url)
    rng = random.Random(17)
    start = NOW - dt.timedelta(days=90)
    try:
        item = 0
        for first in range(1, users + 1, CHUNK):
            people, subscriptions, outbox, runs = [], [], [], []
            for user_id in range(first, min(users, first + CHUNK - 1) + 1):
                seen = start + dt.timedelta(seconds=rng.randrange(90 * 86400))
                region = rng.choice(regions) if rng.random() < 0.8 else None
                people.append(
                    {
                        "id": user_id,
                        "language": "bg" if rng.random() < 0.8 else "en",
                        "region": region,
                        "first_seen": seen,
                        "last_seen": seen,
                    }
                )
                if rng.random() < 0.4:
                    subscriptions.append(
                        {
                            "user_id": user_id,
                            "audience": "citizen" if rng.random() < 0.85 else "business",
                            "send_minute": 480,
                            "timezone": "Europe/Sofia",
                            "active": rng.random() < 0.9,
                            "next_due_at": NOW + dt.timedelta(hours=20),
                            "created_at": seen,
                            "updated_at": seen,
                        }
                    )
                if rng.random() < 0.2:
                    item += 1
                    done = NOW - dt.timedelta(seconds=rng.randrange(30 * 86400))
                    outbox.append(
                        {
                            "key": f"tip:{user_id}:{item}",
                            "user_id": user_id,
                            "chat_id": user_id,
                            "kind": "tip",
                            "payload": {},
                            "status": rng.choice(STATUSES),
                            "attempts": 1,
                            "not_before": done,
                            "created_at": done,
                            "finished_at": done,
                            "priority": 0,
                        }
                    )
                if rng.random() < 0.02:
                    began = NOW - dt.timedelta(seconds=rng.randrange(30 * 86400))
                    finished = rng.random() < 0.6
                    runs.append(
                        {
                            "user_id": user_id,
                            "checklist": "sme",
                            "answers": {},
                            "started_at": began,
                            "finished_at": began + dt.timedelta(minutes=9) if finished else None,
                            "score": 70 if finished else None,
                        }
                    )
            async with engine.begin() as conn:
                await conn.execute(insert(User), people)
                if subscriptions:
                    await conn.execute(insert(Subscription), subscriptions)
                if outbox:
                    await conn.execute(insert(OutboxItem), outbox)
                if runs:
                    await conn.execute(insert(ChecklistRunRow), runs)
        async with engine.begin() as conn:
            await conn.execute(
                insert(EventRow),
                [
                    {
                        "key": f"bench-{n}",
                        "texts": {"en": {"title": f"Event {n}"}, "bg": {"title": f"Събитие {n}"}},
                        "start_at": NOW + dt.timedelta(days=n % 30, hours=2),
                        "end_at": NOW + dt.timedelta(days=n % 30, hours=4),
                        "timezone": "Europe/Sofia",
                        "place": "Sofia",
                        "online_url": None,
                        "region": regions[n % len(regions)],
                        "country": "BG",
                        "audience": "all",
                        "organiser": "Bench",
                        "link": None,
                        "sample": False,
                        "status": "active",
                        "version": 1,
                        "created_by": ADMIN,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for n in range(events)
                ],
            )
            await _announcements(conn, regions, rng)
            if engine.dialect.name == "postgresql":
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def _announcements(conn: AsyncConnection, regions: list[str], rng: random.Random) -> None:
    """A history of announcements (the composer's page lists the latest 20 with their delivery
    counts), each with 500 outbox rows under its ref."""
    for n in range(ANNOUNCEMENTS):
        sent_at = NOW - dt.timedelta(days=n + 1)
        region = regions[n % len(regions)] if n % 2 else None
        created = await conn.execute(
            insert(BroadcastRow).returning(BroadcastRow.id),
            {
                "created_by": ADMIN,
                "payload": {"text": f"Announcement {n}", "buttons": []},
                "audience": {"segment": "all", "language": None, "region": region},
                "status": "queued",
                "send_at": sent_at,
                "queued": 500,
                "created_at": sent_at,
                "finished_at": sent_at,
            },
        )
        ref = announcement_ref(created.scalar_one())
        await conn.execute(
            insert(OutboxItem),
            [
                {
                    "key": f"{ref}:{user}",
                    "user_id": user,
                    "chat_id": user,
                    "kind": "announcement",
                    "payload": {},
                    "status": rng.choice(STATUSES),
                    "attempts": 1,
                    "not_before": sent_at,
                    "created_at": sent_at,
                    "finished_at": sent_at,
                    "priority": 0,
                    "ref": ref,
                }
                for user in range(1 + n * 500, 1 + (n + 1) * 500)
            ],
        )


async def count_messages(url: str, users: int, per_day: int) -> None:
    """Messages of the last 30 days through the real counter: a flush a day, as ticks do."""
    engine = make_engine(url)
    rng = random.Random(5)
    kinds = [MessageKind.ANSWERED] * 7 + [MessageKind.NOT_UNDERSTOOD] * 2 + [MessageKind.COMMAND]
    try:
        clock = FixedClock(NOW - dt.timedelta(days=29))
        activity = SqlActivity(make_sessions(engine), clock)
        for _ in range(30):
            for _ in range(per_day):
                kind = rng.choice(kinds)
                outcome = Outcome((), "bg", topic="phishing")
                activity.message(rng.randrange(1, users + 1), kind, outcome)
                activity.nlu_latency(rng.lognormvariate(-3.5, 0.6))
            await activity.flush()
            clock.advance(days=1)
    finally:
        await engine.dispose()


async def _signed_in(client: httpx.AsyncClient, token: str) -> None:
    page = await client.get("/login/link", params={"token": token})
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    reply = await client.post("/login/link", data={"token": token, "csrf_token": csrf})
    if reply.status_code != 303:
        raise RuntimeError(f"sign-in failed: {reply.status_code}")


PAGES = (
    "/",
    "/?days=90",
    "/?days=7&region={region}",
    "/overview.csv?days=30",
    "/audit",
    "/events",
    "/events?region={region}",
    "/events/new",
    "/announcements",
    "/alerts",
)
# Asked by the composer's script as the organiser types: the preview and the audience's size.
PREVIEW = "POST /announcements/preview"
ADMIN_ONLY = ("/audit", "/alerts")  # of no region: refused to a regional organiser


async def _preview(
    client: httpx.AsyncClient, who: str, region: str, requests: int, changing: bool = False
) -> PageTiming:
    """As the organiser types (the text changes, the audience does not: its size is kept), or,
    `changing`, with the size counted on every request (as when the audience fields change)."""
    page = await client.get("/announcements")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    fields = {
        "csrf_token": csrf,
        "text": "<b>Fake invoices</b> are going round: check the IBAN by phone.",
        "button_label": "Read more",
        "button_url": "https://cert.bg",
        "segment": "all",
        "language": "",
        "region": region,
        "event": "",
        "when": "now",
    }
    elapsed = []
    for _ in range(requests + 1):
        began = time.perf_counter()
        reply = await client.post("/announcements/preview", data=fields)
        elapsed.append(time.perf_counter() - began)
        if reply.status_code != 200 or "audience-size" not in reply.text:
            raise RuntimeError(f"{PREVIEW}: {reply.status_code}")
    p50, p95, worst = _ms(elapsed[1:])  # the first one warms the template
    how = "counted every time" if changing else "typing"
    label = f"{PREVIEW} ({region or 'everyone'}, {how})"
    return PageTiming(who, label, requests, p50, p95, worst)


async def bench_dashboard(
    backend_url: str, backend: str, catalog: Catalog, users: int, requests: int
) -> DashboardBench:
    regions = list(catalog.regions)
    migrate(backend_url)
    started = time.perf_counter()
    await populate(backend_url, users, 100, regions)
    await count_messages(backend_url, users, per_day=max(100, users // 200))
    fill_s = time.perf_counter() - started
    engine = make_engine(backend_url)
    try:
        sessions = make_sessions(engine)
        rollups = SqlRollups(sessions)
        started = time.perf_counter()
        await rollups.refresh(NOW)
        refresh_s = time.perf_counter() - started
        started = time.perf_counter()
        await rollups.refresh(NOW + dt.timedelta(seconds=10))  # a tick later: nothing new
        refresh_again_ms = (time.perf_counter() - started) * 1000
        fake = fake_dashboard(now=NOW)
        fake.services.figures = FiguresService(rollups)
        # The events, announcements and alerts pages on the database, as bootstrap builds them.
        real = dashboard_services(
            dashboard_settings(DATABASE_URL=backend_url), catalog, sessions, fake.clock
        )
        fake.services.events = real.events
        fake.services.announcements = real.announcements
        fake.services.alerts = real.alerts
        region = regions[0]
        await fake.roles.set_staff(REGIONAL, "organiser", frozenset({region}), None, NOW)
        app = dashboard_app(fake)
        timings: list[PageTiming] = []
        for who, user in (("admin", ADMIN), ("regional organiser", REGIONAL)):
            token = await fake.services.sign_in.issue_link(user, NOW)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                await _signed_in(client, token)
                for page in PAGES:
                    path = page.format(region=region)
                    if who != "admin" and ("region=" in path or path in ADMIN_ONLY):
                        continue
                    reply = await client.get(path)  # warm: templates compiled once
                    if reply.status_code != 200:
                        raise RuntimeError(f"{path}: {reply.status_code}")
                    elapsed = []
                    for _ in range(requests):
                        began = time.perf_counter()
                        reply = await client.get(path)
                        elapsed.append(time.perf_counter() - began)
                        assert reply.status_code == 200
                    p50, p95, worst = _ms(elapsed)
                    timings.append(PageTiming(who, path, requests, p50, p95, worst))
                audience_region = "" if who == "admin" else region
                timings.append(await _preview(client, who, audience_region, requests))
                # The same with nothing kept: every request counts the audience.
                kept = real.announcements
                assert kept is not None
                fake.services.announcements = dataclasses.replace(kept, sizes=AudienceSizes(keep=0))
                timings.append(
                    await _preview(client, who, audience_region, requests, changing=True)
                )
                fake.services.announcements = kept
        return DashboardBench(backend, users, fill_s, refresh_s, refresh_again_ms, timings)
    finally:
        await engine.dispose()
