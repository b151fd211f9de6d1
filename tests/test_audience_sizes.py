"""The composer's audience size (issue 17): read from the rollups' users snapshot for everyone,
a region and/or a language, counted exactly otherwise or when the snapshot is missing or
stale; with hand-written fakes, and on SQLite and PostgreSQL against the exact count."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import Audience, DayCount
from bot.core.rollups import Metric
from bot.services.audience_sizes import AudienceSize, AudienceSizeService
from bot.storage.broadcasts import SqlBroadcasts
from bot.storage.db import make_engine, make_sessions, writing
from bot.storage.rollups import SqlRollups
from bot.storage.schema import Subscription, User
from tests.auxil.dashboard import fake_dashboard
from tests.auxil.publishing import with_publishing
from tests.auxil.schema import migrated
from tests.auxil.web_pages import add_staff, client_for, csrf_of, sign_in_link, signed_in
from tests.fakes.core import FixedClock, MemoryBroadcasts

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
EVERYONE, VARNA = Audience(), Audience(region="varna")
BG, VARNA_EN = Audience(language="bg"), Audience(region="varna", language="en")
ORGANISER = 2002


class SnapshotRollups:
    """A users snapshot taken at `taken` (None: never), as (region, key) -> value."""

    def __init__(self, taken: dt.datetime | None, users: dict[tuple[str, str], int]) -> None:
        self.taken, self.users = taken, users

    async def daily(
        self, metrics: Sequence[str], since: dt.date, until: dt.date, regions: frozenset[str]
    ) -> dict[str, list[DayCount]]:
        raise AssertionError("the size reads no daily figures")

    async def snapshot(
        self, metrics: Sequence[str], on: dt.date, regions: frozenset[str]
    ) -> dict[str, tuple[dt.date | None, dict[tuple[str, str], int]]]:
        assert list(metrics) == [Metric.USERS]
        if self.taken is None or self.taken.date() > on:
            return {Metric.USERS: (None, {})}
        values = {k: v for k, v in self.users.items() if not regions or k[0] in regions}
        return {Metric.USERS: (self.taken.date(), values)}

    async def snapshot_at(self) -> dt.datetime | None:
        return self.taken


SNAPSHOT = {
    ("varna", "language:bg"): 5,
    ("varna", "language:en"): 2,
    ("plovdiv", "language:bg"): 7,
    ("", "language:en"): 1,
}


async def test_everyone_a_region_and_a_language_are_read_from_a_fresh_snapshot() -> None:
    clock = FixedClock(NOW)
    sizes = AudienceSizeService(MemoryBroadcasts(999), SnapshotRollups(NOW, SNAPSHOT), clock)
    clock.advance(minutes=6)  # a refresh late: still the last snapshot
    assert await sizes.size(EVERYONE) == AudienceSize(15, estimated=True)
    assert await sizes.size(VARNA) == AudienceSize(7, estimated=True)
    assert await sizes.size(BG) == AudienceSize(12, estimated=True)
    assert await sizes.size(VARNA_EN) == AudienceSize(2, estimated=True)
    assert await sizes.size(Audience(region="ruse")) == AudienceSize(0, estimated=True)


async def test_a_missing_or_stale_snapshot_a_segment_or_an_event_are_counted() -> None:
    clock = FixedClock(NOW)
    counted = MemoryBroadcasts(999)
    never = AudienceSizeService(counted, SnapshotRollups(None, {}), clock)
    assert await never.size(EVERYONE) == AudienceSize(999, estimated=False)
    fresh = AudienceSizeService(counted, SnapshotRollups(NOW, SNAPSHOT), clock)
    for audience in (Audience(segment="citizen"), Audience(event_id=4, region="varna")):
        assert await fresh.size(audience) == AudienceSize(999, estimated=False)
    clock.advance(minutes=11)  # the tick has not refreshed for two rounds
    assert await fresh.size(VARNA) == AudienceSize(999, estimated=False)


# --- on the database --------------------------------------------------------------------------

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()


async def _seed(sessions: Sessions) -> None:
    people = [
        (1, "varna", "bg"),
        (2, "varna", "bg"),
        (3, "varna", "en"),
        (4, "plovdiv", "bg"),
        (5, None, "en"),
        (6, None, "bg"),
    ]
    async with writing(sessions) as session:
        session.add_all(
            User(id=i, region=r, language=lang, first_seen=NOW, last_seen=NOW)
            for i, r, lang in people
        )
        await session.flush()
        # Subscribers are a part of everyone, not more of them.
        session.add_all(
            Subscription(
                user_id=i,
                audience="citizen",
                send_minute=540,
                timezone="Europe/Sofia",
                active=True,
                created_at=NOW,
                updated_at=NOW,
            )
            for i in (1, 3)
        )


AUDIENCES = (EVERYONE, VARNA, BG, VARNA_EN, Audience(region="plovdiv", language="en"))


async def test_the_snapshot_size_is_the_exact_count_right_after_it_is_taken(
    sessions: Sessions,
) -> None:
    await _seed(sessions)
    broadcasts, rollups, clock = SqlBroadcasts(sessions), SqlRollups(sessions), FixedClock(NOW)
    sizes = AudienceSizeService(broadcasts, rollups, clock)
    # No snapshot yet: counted.
    assert await rollups.snapshot_at() is None
    assert await sizes.size(EVERYONE) == AudienceSize(6, estimated=False)
    await rollups.refresh(NOW)
    assert await rollups.snapshot_at() == NOW
    clock.advance(seconds=30)
    for audience in AUDIENCES:
        exact = await broadcasts.audience_size(audience)
        assert await sizes.size(audience) == AudienceSize(exact, estimated=True), audience
    assert [(await sizes.size(a)).count for a in AUDIENCES] == [6, 3, 4, 1, 0]
    # A subscriber segment is counted exactly.
    assert await sizes.size(Audience(segment="citizen")) == AudienceSize(2, estimated=False)
    # Ten minutes without a new snapshot: counted again, new users and all.
    async with writing(sessions) as session:
        session.add(User(id=7, region="varna", language="bg", first_seen=NOW, last_seen=NOW))
    clock.advance(minutes=10)
    assert await sizes.size(VARNA) == AudienceSize(4, estimated=False)
    # The next snapshot has them.
    await rollups.refresh(clock.now())
    assert await sizes.size(VARNA) == AudienceSize(4, estimated=True)


# --- the composer -----------------------------------------------------------------------------

COMPOSED = {
    "text": "<b>Scam warning</b>",
    "button_label": "",
    "button_url": "",
    "segment": "all",
    "language": "",
    "region": "",
    "event": "",
    "when": "now",
    "send_at": "",
}


@pytest.mark.parametrize(("lang", "about"), [("en", "about 15"), ("bg", "около 15")])
async def test_the_composer_says_about_for_a_snapshot_size_and_not_for_a_count(
    lang: str, about: str
) -> None:
    fake = fake_dashboard()
    stores = with_publishing(fake, audience_size=999)
    tools = fake.services.announcements
    assert tools is not None
    snapshot = SnapshotRollups(fake.clock.now(), SNAPSHOT)
    fake.services.announcements = dataclasses.replace(
        tools, estimates=AudienceSizeService(stores.broadcasts, snapshot, fake.clock)
    )
    await add_staff(fake, ORGANISER, "organiser")
    client = signed_in(client_for(fake), await sign_in_link(fake, ORGANISER))
    token = csrf_of(client.get("/announcements").text)
    client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/announcements"})

    def asked(page: str, **changed: str) -> str:
        fields = {**COMPOSED, **changed, "csrf_token": token}
        reply = client.post(page, data=fields)
        assert reply.status_code == 200
        html: str = reply.text
        return html

    preview = asked("/announcements/preview")
    assert 'data-size="15"' in preview and about in preview
    assert about in asked("/announcements/confirm")
    # A segment is counted: no "about".
    counted = asked("/announcements/preview", segment="citizen")
    assert 'data-size="999"' in counted and "999" in counted and about.split()[0] not in counted
