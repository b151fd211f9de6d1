"""Events, reminders, announcements, roles, audit and stats on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.core.events import EventDraft, EventText
from bot.core.ports import Audience, EventFilter, Scheduled
from bot.storage.broadcasts import BroadcastPlanner, SqlBroadcasts
from bot.storage.db import make_engine, make_sessions
from bot.storage.events import SqlEvents, SqlReminders
from bot.storage.organisers import SqlAudit, SqlRoles
from bot.storage.outbox import SqlDeliveries
from bot.storage.schema import OutboxItem
from bot.storage.stats import SqlStats
from bot.storage.subscriptions import SqlSubscriptions
from bot.storage.users import SqlUsers
from tests.auxil.schema import migrated

T0 = dt.datetime(2026, 10, 5, 7, 0, tzinfo=dt.UTC)
SOFIA = ZoneInfo("Europe/Sofia")


def draft(key: str, days: int, **kw: object) -> EventDraft:
    start = dt.datetime(2026, 10, 5, 10, 0, tzinfo=SOFIA) + dt.timedelta(days=days)
    values: dict[str, object] = {
        "key": key,
        "texts": {"en": EventText("Title " + key, "About"), "bg": EventText("Заглавие", "За")},
        "start": start,
        "end": start + dt.timedelta(hours=1),
        "timezone": "Europe/Sofia",
        "region": "plovdiv",
        "country": "BG",
        "audience": "all",
        "organiser": "CERT",
        "place": "Plovdiv",
    }
    values.update(kw)
    return EventDraft(**values)  # type: ignore[arg-type]


async def test_events_save_is_idempotent_versions_changes_and_filters(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        events = SqlEvents(make_sessions(engine))
        first = await events.save(draft("a", 1), 7, T0)
        again = await events.save(draft("a", 1), 7, T0)
        assert (first.id, first.version) == (again.id, again.version) == (first.id, 1)
        assert again.draft == draft("a", 1)  # the same times and zone come back
        moved = await events.save(draft("a", 2), 7, T0)
        assert moved.version == 2
        await events.save(
            draft("b", 3, place=None, online_url="https://x.example/join", region="online"),
            None,
            T0,
        )
        await events.save(draft("old", -5), None, T0)
        found, total = await events.upcoming(T0, EventFilter(), 0, 10)
        assert [e.draft.key for e in found] == ["a", "b"] and total == 2
        found, _ = await events.upcoming(T0, EventFilter(mode="online"), 0, 10)
        assert [e.draft.key for e in found] == ["b"]
        found, _ = await events.upcoming(T0, EventFilter(region="plovdiv", mode="in_person"), 0, 10)
        assert [e.draft.key for e in found] == ["a"]
        cancelled = await events.cancel(first.id, T0)
        assert cancelled is not None and not cancelled.active and cancelled.version == 3
        found, total = await events.upcoming(T0, EventFilter(), 0, 10)
        assert total == 1
    finally:
        await engine.dispose()


async def test_reminders_deliveries_and_cancel_pending(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        for user in (3, 1, 2):
            await SqlUsers(sessions).touch(user, "bg" if user == 2 else "en", T0)
        await SqlSubscriptions(sessions).save(2, "citizen", 480, "Europe/London", T0)
        event = await SqlEvents(sessions).save(draft("a", 1), None, T0)
        reminders = SqlReminders(sessions)
        assert await reminders.add(1, event.id, T0)
        assert not await reminders.add(1, event.id, T0)
        await reminders.add(2, event.id, T0)
        await reminders.add(3, event.id, T0)
        page = await reminders.recipients(event.id, None, 2)
        assert [(r.user_id, r.language, r.timezone) for r in page] == [
            (1, "en", None),
            (2, "bg", "Europe/London"),
        ]
        assert [r.user_id for r in await reminders.recipients(event.id, 2, 2)] == [3]
        deliveries = SqlDeliveries(sessions)
        items = [
            Scheduled(
                f"rem:{event.id}:1:{u}:60",
                u,
                "reminder",
                {"text": "x", "buttons": []},
                T0,
                event.draft.start,
                f"ev:{event.id}:{u}",
            )
            for u in (1, 2)
        ]
        await deliveries.schedule(items, T0)
        await deliveries.schedule(items, T0)  # the same keys again: nothing new
        assert await deliveries.counts(f"ev:{event.id}:1") == {"pending": 1}
        assert await deliveries.cancel_pending(f"ev:{event.id}:1", T0) == 1
        assert await deliveries.counts(f"ev:{event.id}:1") == {"cancelled": 1}
        assert await reminders.remove(1, event.id)
        assert not await reminders.has(1, event.id)
    finally:
        await engine.dispose()


async def test_broadcast_fan_out_is_resumable_shared_and_cancellable(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        users = SqlUsers(sessions)
        for user in range(1, 26):
            await users.touch(user, "bg" if user % 2 else "en", T0)
        for user in range(1, 11):
            await SqlSubscriptions(sessions).save(user, "business", 480, "Europe/Sofia", T0)
        store = SqlBroadcasts(sessions)
        assert await store.audience_size(Audience()) == 25
        assert await store.audience_size(Audience(segment="business", language="en")) == 5
        record = await store.create(
            9, {"text": "hi", "buttons": []}, Audience(language="bg"), T0, T0
        )
        later = await store.create(
            9, {"text": "later", "buttons": []}, Audience(), T0 + dt.timedelta(days=1), T0
        )
        # Two planners at once, small batches: every recipient exactly once.
        planners = [BroadcastPlanner(sessions, batch=4), BroadcastPlanner(sessions, batch=4)]
        counts = await asyncio.gather(*(p.fan_out(T0) for p in planners))
        assert sum(counts) == 13
        async with sessions() as session:
            keys = list(
                await session.scalars(
                    select(OutboxItem.key).where(OutboxItem.ref == f"ann:{record.id}")
                )
            )
        assert len(keys) == len(set(keys)) == 13
        done = await store.get(record.id)
        assert done is not None and done.status == "queued" and done.queued == 13
        waiting = await store.get(later.id)
        assert waiting is not None and waiting.status == "scheduled"
        cancelled = await store.cancel(record.id, T0)
        assert cancelled is not None and cancelled.status == "cancelled"
        assert await SqlDeliveries(sessions).counts(f"ann:{record.id}") == {"cancelled": 13}
    finally:
        await engine.dispose()


async def test_roles_audit_and_stats(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        roles = SqlRoles(sessions)
        assert await roles.add_organiser(50, 1, T0)
        assert not await roles.add_organiser(50, 1, T0)
        assert await roles.is_organiser(50) and await roles.organisers() == [50]
        assert await roles.remove_organiser(50) and not await roles.is_organiser(50)
        audit = SqlAudit(sessions)
        await audit.record(1, "organiser_add", {"user_id": 50}, T0)
        await audit.record(None, "event_imported", {"via": "cli"}, T0)
        assert [e.action for e in await audit.entries()] == ["event_imported", "organiser_add"]
        await SqlUsers(sessions).touch(60, "bg", T0)
        stats = SqlStats(sessions)
        for topic in ("phishing", "phishing", "mfa"):
            await stats.count_topic(topic, T0)
        figures = await stats.collect(T0 + dt.timedelta(hours=1), 30)
        assert figures.top_topics == [("phishing", 2), ("mfa", 1)]
        assert figures.users_by_language == {"bg": 1}
        assert figures.new_users_by_day == [(T0.date(), 1)]
        assert figures.over_time["language"] == {"bg": [(T0.date(), 1)]}
        await SqlSubscriptions(sessions).save(60, "business", 480, "Europe/Sofia", T0)
        later = await stats.collect(T0 + dt.timedelta(days=1), 30)
        assert later.over_time["audience"] == {"business": [(T0.date(), 1)]}
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxItem)) == 0
    finally:
        await engine.dispose()


async def test_place_and_organiser_per_language_come_back(database_url: str) -> None:
    local = {
        "en": EventText("Title", "About", place="Sofia, Central library", organiser="Library"),
        "bg": EventText("Заглавие", "За", place="София, Централна библиотека"),
    }
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        events = SqlEvents(make_sessions(engine))
        first = await events.save(draft("local", 1, texts=local), None, T0)
        again = await events.save(draft("local", 1, texts=local), None, T0)
        assert again.version == first.version == 1  # the same file twice changes nothing
        stored = await events.get(first.id)
        assert stored is not None and stored.draft == draft("local", 1, texts=local)
        assert stored.draft.place_in("bg", "en") == "София, Централна библиотека"
        assert stored.draft.organiser_in("bg", "en") == "Library"
        plain = await events.save(draft("plain", 1), None, T0)
        assert (await events.get(plain.id)) == plain  # no per-language texts: none invented
    finally:
        await engine.dispose()
