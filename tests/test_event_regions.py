"""The region rule of EventService itself (issue 17): a regional organiser saves only its
regions' events, and cannot take over another region's event by reusing its key, whichever
entrypoint calls the service (chat, command line, dashboard). On the fakes, then on SQLite and
PostgreSQL through the real unit of work."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from bot.core.roles import NotAllowed, Staff
from bot.services.events import EventService, Origin
from bot.storage.access import database_for
from bot.storage.db import make_engine
from bot.storage.events import SqlEvents
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.auxil.events import draft
from tests.auxil.schema import migrated
from tests.fakes.core import MemoryAudit, MemoryEvents
from tests.fakes.unit_of_work import FakeUnitOfWork, fake_bus

NOW = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
PLOVDIV = Staff(40, "organiser", frozenset({"plovdiv"}))
VARNA = Staff(41, "organiser", frozenset({"varna"}))


async def _refusals(service: EventService) -> None:
    """What both the fakes and the databases must do; the stored event is Plovdiv's."""
    ours = await service.save(draft("shared-key"), Origin(40, staff=PLOVDIV), NOW)
    assert ours.change == "created"
    # Varna's organiser reuses Plovdiv's key with its own region: refused, nothing moved.
    with pytest.raises(NotAllowed) as refused:
        await service.save(draft("shared-key", region="varna"), Origin(41, staff=VARNA), NOW)
    assert refused.value.region == "plovdiv"
    # In a whole file too: the good row is not saved either.
    with pytest.raises(NotAllowed):
        await service.save_all(
            [draft("varna-own", region="varna"), draft("shared-key", region="varna", days=9)],
            Origin(41, staff=VARNA),
            NOW,
        )
    # A cancelled event's key is still Plovdiv's.
    await service.cancel(ours.event.id, Origin(40, staff=PLOVDIV), NOW)
    with pytest.raises(NotAllowed):
        await service.save(draft("shared-key", region="varna"), Origin(41, staff=VARNA), NOW)
    # Its own region and a new key: saved. Plovdiv's organiser may bring its event back.
    assert (
        await service.save(draft("varna-own", region="varna"), Origin(41, staff=VARNA), NOW)
    ).change == "created"
    back = await service.save(draft("shared-key"), Origin(40, staff=PLOVDIV), NOW)
    assert back.change == "updated" and back.event.active and back.event.draft.region == "plovdiv"
    # Operators (the command line, start-up) are not held to a region.
    moved = await service.save(draft("shared-key", region="varna"), Origin(None), NOW)
    assert moved.event.draft.region == "varna"


async def test_the_service_refuses_another_region_s_key_on_the_fakes() -> None:
    events, audit = MemoryEvents(), MemoryAudit()
    uow = FakeUnitOfWork(events=events, audit=audit)
    await _refusals(EventService(uow, fake_bus()))
    assert sorted(r.draft.key for r in events.rows.values()) == ["shared-key", "varna-own"]
    assert uow.rollbacks == 3  # each refusal left its unit of work without a commit
    assert [row[1] for row in audit.rows].count("event_created") == 2


async def test_the_service_refuses_another_region_s_key_on_the_database(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        database = database_for(engine)
        service = EventService(functools.partial(SqlUnitOfWork, database), fake_bus())
        await _refusals(service)
        events = SqlEvents(database)
        assert (await events.by_key("varna-own")) is not None
        assert await events.by_key("no-such-key") is None
        stored = await events.by_key("shared-key")
        assert stored is not None and stored.version == 4 and stored.draft.region == "varna"
    finally:
        await engine.dispose()
