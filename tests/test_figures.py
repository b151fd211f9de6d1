"""The organisers' figures (issue 17): the daily rollups filled from the tables and the counts
of handled messages, read back by FiguresService for a period and a set of regions, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Incoming, Outcome
from bot.core.rollups import latency_key
from bot.metrics import Metrics
from bot.services.figures import FiguresService, Period, PeriodError, csv_rows, latency
from bot.storage.db import make_engine, make_sessions, reading, writing
from bot.storage.rollups import SqlActivity, SqlRollups
from bot.storage.schema import ChecklistRunRow, DailyRollup, OutboxItem, Subscription, User
from tests.auxil.schema import migrated
from tests.fakes.core import FixedClock

Sessions = async_sessionmaker[AsyncSession]
DAY1 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)
DAY2 = DAY1 + dt.timedelta(days=1)
LATER = dt.timedelta(minutes=30)  # past the rollups' lag


class Stores:
    def __init__(self, sessions: Sessions, clock: FixedClock) -> None:
        self.clock = clock
        self.activity = SqlActivity(sessions, clock)
        self.rollups = SqlRollups(sessions)
        self.figures = FiguresService(self.rollups)


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[Stores, Sessions]]:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        yield Stores(sessions, FixedClock(DAY1)), sessions
    finally:
        await engine.dispose()


def _user(user_id: int, region: str | None, language: str, at: dt.datetime) -> User:
    return User(id=user_id, language=language, region=region, first_seen=at, last_seen=at)


def _item(n: int, user_id: int, status: str, finished: dt.datetime) -> OutboxItem:
    return OutboxItem(
        key=f"k{n}",
        user_id=user_id,
        chat_id=user_id,
        kind="tip",
        payload={},
        status=status,
        not_before=finished,
        created_at=finished,
        finished_at=finished,
        ref=None,
    )


async def _seed(sessions: Sessions) -> None:
    async with writing(sessions) as session:
        session.add_all(
            [
                _user(1, "sofia-city", "bg", DAY1),
                _user(2, "sofia-city", "en", DAY1),
                _user(3, "plovdiv", "bg", DAY2),
                _user(4, None, "bg", DAY2),
            ]
        )
        await session.flush()
        session.add_all(
            [
                Subscription(
                    user_id=user_id,
                    audience=audience,
                    send_minute=480,
                    timezone="Europe/Sofia",
                    active=active,
                    created_at=DAY1,
                    updated_at=DAY1,
                )
                for user_id, audience, active in (
                    (1, "citizen", True),
                    (2, "business", True),
                    (3, "citizen", True),
                    (4, "citizen", False),
                )
            ]
        )
        session.add_all(
            [
                _item(1, 1, "sent", DAY1),
                _item(2, 2, "blocked", DAY1),
                _item(3, 3, "sent", DAY2),
                _item(4, 3, "uncertain", DAY2),
                _item(5, 4, "failed", DAY2),
            ]
        )
        session.add_all(
            [
                ChecklistRunRow(
                    user_id=1, checklist="sme", answers={}, started_at=DAY1, finished_at=DAY1
                ),
                ChecklistRunRow(user_id=3, checklist="sme", answers={}, started_at=DAY2),
            ]
        )


def _handled(
    metrics: Metrics,
    user_id: int,
    outcome: Outcome,
    text: str | None = None,
    command: str | None = None,
    callback: str | None = None,
) -> None:
    metrics.message(Incoming(user_id, text=text, command=command, callback=callback), outcome)


async def test_the_overview_of_a_period_and_a_region(stores: tuple[Stores, Sessions]) -> None:
    s, sessions = stores
    await _seed(sessions)
    metrics = Metrics(s.activity)
    answer = Outcome((), "bg", topic="phishing")
    fallback = Outcome((), "bg", topic="fallback", events=("fallback",))
    _handled(metrics, 1, answer, text="what is phishing")
    _handled(metrics, 1, fallback, text="asdf")
    _handled(metrics, 3, answer, text="phishing?")
    _handled(metrics, 3, Outcome((), "bg", topic="quiz", events=("quiz_started",)), command="quiz")
    _handled(metrics, 3, Outcome((), "bg", topic="quiz", events=("quiz_finished",)), callback="qe")
    s.activity.nlu_latency(0.004)
    s.activity.nlu_latency(0.030)
    s.activity.nlu_latency(0.040)
    await s.activity.flush()
    await s.rollups.refresh(DAY2 + LATER)

    period = Period(DAY1.date(), DAY2.date())
    everything = await s.figures.overview(period, frozenset())
    assert everything.users == 4
    assert everything.users_by_language == {"bg": 3, "en": 1}
    assert everything.users_by_region == {"sofia-city": 2, "plovdiv": 1, "": 1}
    assert everything.new_users_by_day == [(DAY1.date(), 2), (DAY2.date(), 2)]
    assert everything.subscribers == 3  # the inactive one is not counted
    assert everything.subscribers_by_audience == {"citizen": 2, "business": 1}
    assert everything.subscribers_by_language == {"bg": 2, "en": 1}
    assert everything.messages_by_day == [(DAY1.date(), 5), (DAY2.date(), 0)]
    assert everything.messages_by_kind == {
        "answered": 2,
        "not_understood": 1,
        "command": 1,
        "button": 1,
    }
    assert everything.answered_share == pytest.approx(2 / 3)
    assert everything.deliveries == {
        "sent": 2,
        "blocked": 1,
        "failed": 1,
        "uncertain": 1,
        "expired": 0,
        "cancelled": 0,
    }
    assert everything.checklists["sme"].started == 2
    assert everything.checklists["sme"].finished == 1
    assert (everything.quiz.started, everything.quiz.finished) == (1, 1)
    assert everything.latency.count == 3
    assert everything.latency.p50_ms == 50
    assert everything.latency.mean_ms == pytest.approx(74 / 3, abs=0.5)

    plovdiv = await s.figures.overview(period, frozenset({"plovdiv"}))
    assert plovdiv.users == 1
    assert plovdiv.users_by_region == {"plovdiv": 1}
    assert plovdiv.new_users_by_day == [(DAY1.date(), 0), (DAY2.date(), 1)]
    assert plovdiv.messages_by_kind == {"answered": 1, "command": 1, "button": 1}
    assert plovdiv.deliveries["sent"] == 1 and plovdiv.deliveries["uncertain"] == 1
    assert plovdiv.deliveries["blocked"] == 0
    assert plovdiv.checklists["sme"].started == 1 and plovdiv.checklists["sme"].finished == 0

    only_day1 = await s.figures.overview(Period(DAY1.date(), DAY1.date()), frozenset())
    assert only_day1.deliveries["sent"] == 1 and only_day1.deliveries["failed"] == 0

    rows = csv_rows(plovdiv)
    assert ("users", "total", "1") in rows
    assert ("new_users", DAY2.date().isoformat(), "1") in rows
    assert ("deliveries", "uncertain", "1") in rows


async def test_refreshing_adds_only_what_is_new(stores: tuple[Stores, Sessions]) -> None:
    s, sessions = stores
    await _seed(sessions)
    await s.rollups.refresh(DAY2 + LATER)
    # Refreshed again with nothing new: nothing is counted twice.
    await s.rollups.refresh(DAY2 + LATER + dt.timedelta(minutes=1))
    later = DAY2 + dt.timedelta(hours=2)
    async with writing(sessions) as session:
        session.add(_item(6, 1, "sent", later))
        # Finished a moment ago: left for the next refresh (its transaction may be open).
        session.add(_item(7, 1, "sent", later + LATER - dt.timedelta(seconds=30)))
    await s.rollups.refresh(later + LATER)
    figures = await s.figures.overview(Period(DAY1.date(), DAY2.date()), frozenset())
    assert figures.deliveries["sent"] == 3
    await s.rollups.refresh(later + 2 * LATER)
    figures = await s.figures.overview(Period(DAY1.date(), DAY2.date()), frozenset())
    assert figures.deliveries["sent"] == 4


async def test_a_region_chosen_after_joining_counts_in_the_new_users(
    stores: tuple[Stores, Sessions],
) -> None:
    s, sessions = stores
    await _seed(sessions)
    await s.rollups.refresh(DAY2 + LATER)
    async with writing(sessions) as session:
        user = await session.get(User, 4)
        assert user is not None
        user.region = "plovdiv"
    # The snapshot and the new users' recount run every few minutes.
    await s.rollups.refresh(DAY2 + LATER + dt.timedelta(minutes=10))
    plovdiv = await s.figures.overview(Period(DAY1.date(), DAY2.date()), frozenset({"plovdiv"}))
    assert plovdiv.new_users_by_day[-1] == (DAY2.date(), 2)
    assert plovdiv.users == 2


async def test_the_overview_reads_the_rollups_by_their_key(stores: tuple[Stores, Sessions]) -> None:
    """A page's figures come from a range of the rollups' primary key, not a scan."""
    s, sessions = stores
    await _seed(sessions)
    await s.rollups.refresh(DAY2 + LATER)
    async with reading(sessions) as session:
        rows = await session.scalar(select(func.count()).select_from(DailyRollup))
        assert rows is not None and 0 < rows < 60
        bind = session.get_bind()
        query = (
            "explain query plan select day, key, sum(value) from daily_rollups "
            "where metric = 'messages' and day >= '2026-10-01' and day <= '2026-10-31' "
            "group by day, key"
            if bind.dialect.name == "sqlite"
            else "explain select day, key, sum(value) from daily_rollups "
            "where metric = 'messages' and day >= '2026-10-01' and day <= '2026-10-31' "
            "group by day, key"
        )
        if bind.dialect.name == "postgresql":
            await session.execute(text("set local enable_seqscan = off"))
        plan = " ".join(str(row) for row in (await session.execute(text(query))).all())
    assert "pk_daily_rollups" in plan or "sqlite_autoindex_daily_rollups" in plan, plan


def test_latency_percentiles_are_bucket_bounds() -> None:
    buckets = {latency_key(ms): 0 for ms in (1,)}
    for ms in [3] * 50 + [40] * 45 + [700] * 5:
        buckets[latency_key(ms)] = buckets.get(latency_key(ms), 0) + 1
    measured = latency(buckets, total_ms=50 * 3 + 45 * 40 + 5 * 700)
    assert (measured.count, measured.p50_ms, measured.p95_ms) == (100, 5, 50)
    assert latency_key(5000) == "inf"
    assert latency({}, 0).p95_ms is None and latency({}, 0).mean_ms is None


def test_a_period_is_checked() -> None:
    with pytest.raises(PeriodError):
        Period.checked(DAY2.date(), DAY1.date())
    with pytest.raises(PeriodError):
        Period.checked(DAY1.date(), DAY1.date() + dt.timedelta(days=400))
    assert len(Period.last(7, DAY1.date()).days()) == 7
    assert len(Period.last(1, DAY1.date()).days()) == 1
