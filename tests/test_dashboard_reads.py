"""What the dashboard reads in one statement for a whole page (issue 17): the delivery counts
of every announcement of the history, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from bot.core.outbox_refs import announcement_ref
from bot.core.ports import Scheduled
from bot.storage.db import make_engine, make_sessions
from bot.storage.outbox import SqlDeliveries
from bot.storage.users import SqlUsers
from tests.auxil.schema import migrated

T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


async def test_the_counts_of_many_announcements_in_one_statement(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        users = SqlUsers(sessions)
        for user in range(1, 6):
            await users.touch(user, "bg", T0)
        deliveries = SqlDeliveries(sessions)
        first, second, empty = (announcement_ref(n) for n in (1, 2, 3))
        await deliveries.schedule(
            [
                *(Scheduled(f"a{u}", u, "announcement", {}, T0, ref=first) for u in range(1, 6)),
                *(Scheduled(f"b{u}", u, "announcement", {}, T0, ref=second) for u in (1, 2)),
                Scheduled("tip", 3, "tip", {}, T0, ref=None),
            ],
            T0,
        )
        await deliveries.cancel_pending(second, T0)
        found = await deliveries.counts_by_ref([first, second, empty])
        assert found == {first: {"pending": 5}, second: {"cancelled": 2}}
        assert found[first] == await deliveries.counts(first)
        assert await deliveries.counts_by_ref([]) == {}
    finally:
        await engine.dispose()
