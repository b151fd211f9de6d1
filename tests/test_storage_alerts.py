"""Scam alerts on real SQLite and PostgreSQL: drafts, publishing, editing, retiring, match counts,
who opted in, the fan-out into the outbox (only to them, each in their language, once), and
/mydata and /forget."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.alerts import AlertContent, AlertDraft, AlertStatus
from bot.core.outbox_refs import alert_ref
from bot.storage.alerts import AlertPlanner, SqlAlertOptIns, SqlAlerts
from bot.storage.db import make_engine, make_sessions
from bot.storage.outbox import SqlDeliveries
from bot.storage.personal import SqlPersonalData
from bot.storage.schema import OutboxItem
from bot.storage.users import SqlUsers
from tests.auxil.schema import migrated

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
BG = AlertContent(
    "Фалшиви SMS от „Еконт“",
    "SMS за неплатена такса за доставка с връзка към сайт, който не е на Еконт",
    "Не отваряйте връзката. Проверете пратката на econt.com.",
    ("Еконт: Вашата пратка не може да бъде доставена. Платете 1,20 лв. на https://x.top",),
)
EN = AlertContent("Fake Econt texts", "A text about an unpaid fee", "Do not open the link.", ())
DRAFT = AlertDraft({"bg": BG, "en": EN}, "bg", "https://www.cybercrime.bg/")
PAYLOADS = {"bg": {"text": "Внимание"}, "en": {"text": "Warning"}}


async def _outbox(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxItem]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.user_id)))


async def test_an_alert_is_drafted_edited_published_counted_and_retired(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        alerts = SqlAlerts(make_sessions(engine))
        draft = await alerts.create(DRAFT, 42, T0)
        assert draft.status is AlertStatus.DRAFT and draft.published is None
        assert draft.created_by == 42 and draft.content == {"bg": BG, "en": EN}
        assert draft.source_url == "https://www.cybercrime.bg/"
        # A restart (a new session maker) reads back what was written.
        again = await SqlAlerts(make_sessions(engine)).get(draft.id)
        assert again == draft

        edited = await alerts.edit(draft.id, AlertDraft({"bg": BG}, "bg"), T0)
        assert edited is not None and edited.content == {"bg": BG} and edited.source_url == ""
        published = await alerts.publish(draft.id, PAYLOADS, T0)
        assert published is not None and published.status is AlertStatus.PUBLISHED
        assert published.published == T0.date()
        # Only a draft is published: a second publish changes nothing.
        assert await alerts.publish(draft.id, PAYLOADS, T0 + dt.timedelta(days=1)) is None
        assert await alerts.publish(999, PAYLOADS, T0) is None

        await alerts.count_match(draft.id, T0)
        await alerts.count_match(draft.id, T0 + dt.timedelta(minutes=5))
        await alerts.count_match(draft.id, T0 + dt.timedelta(days=1))
        assert await alerts.matches_by_day(draft.id) == [
            (T0.date(), 2),
            (T0.date() + dt.timedelta(days=1), 1),
        ]
        found = await alerts.get(draft.id)
        assert found is not None and found.matches == 3

        other = await alerts.create(DRAFT, None, T0)
        assert [a.id for a in await alerts.find()] == [other.id, draft.id]
        assert [a.id for a in await alerts.find([AlertStatus.PUBLISHED])] == [draft.id]
        assert [a.matches for a in await alerts.find()] == [0, 3]

        retired = await alerts.retire(draft.id, T0)
        assert retired is not None and retired.status is AlertStatus.RETIRED
        assert retired.published == T0.date()  # when it was reported stays known
        assert await alerts.retire(draft.id, T0) == retired  # twice is harmless
        assert await alerts.edit(draft.id, DRAFT, T0) is None  # a retired alert stays as it was
        assert await alerts.retire(999, T0) is None
        assert await alerts.find([AlertStatus.PUBLISHED]) == []
    finally:
        await engine.dispose()


async def test_a_published_alert_goes_to_those_who_opted_in_once_in_their_language(
    database_url: str,
) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        users, opt_ins = SqlUsers(sessions), SqlAlertOptIns(sessions)
        for user, language in ((1, "bg"), (2, "en"), (3, "bg"), (4, "en"), (5, "xx")):
            await users.touch(user, language, T0)
        for user in (1, 2, 4, 5):
            assert await opt_ins.set(user, True, T0)
        assert not await opt_ins.set(1, True, T0)  # already on
        assert await opt_ins.set(4, False, T0)  # changed their mind
        assert not await opt_ins.set(4, False, T0)
        assert await opt_ins.is_on(1) and not await opt_ins.is_on(3) and not await opt_ins.is_on(4)
        assert await opt_ins.count() == 3

        alerts = SqlAlerts(sessions)
        alert = await alerts.create(DRAFT, 42, T0)
        planner = AlertPlanner(sessions, "bg", batch=2)
        assert await planner.fan_out(T0) == 0  # a draft goes to nobody
        await alerts.publish(alert.id, PAYLOADS, T0)
        progress: list[tuple[int, int]] = []
        assert await planner.fan_out(T0, lambda *step: progress.append(step)) == 3
        assert progress == [(alert.id, 2), (alert.id, 1)]
        assert await planner.fan_out(T0) == 0  # done: nothing is queued twice

        items = await _outbox(sessions)
        # User 5's language is no longer the bot's: the default language's message.
        assert [(i.user_id, i.kind, i.payload["text"]) for i in items] == [
            (1, "alert", "Внимание"),
            (2, "alert", "Warning"),
            (5, "alert", "Внимание"),
        ]
        assert {i.key for i in items} == {f"alert:{alert.id}:{u}" for u in (1, 2, 5)}
        assert {i.ref for i in items} == {alert_ref(alert.id)}
        assert all(i.expires_at is not None for i in items)

        # Retiring withdraws what still waits.
        await alerts.retire(alert.id, T0)
        counts = await SqlDeliveries(sessions).counts(alert_ref(alert.id))
        assert counts == {"cancelled": 3}
    finally:
        await engine.dispose()


async def test_retiring_during_the_fan_out_stops_it(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        for user in range(1, 6):
            await SqlUsers(sessions).touch(user, "bg", T0)
            await SqlAlertOptIns(sessions).set(user, True, T0)
        alerts = SqlAlerts(sessions)
        alert = await alerts.create(DRAFT, 42, T0)
        await alerts.publish(alert.id, PAYLOADS, T0)
        planner = AlertPlanner(sessions, "bg", batch=2)
        step = await planner._one_batch(T0)
        assert step == (alert.id, 2)
        await alerts.retire(alert.id, T0)
        assert await planner.fan_out(T0) == 0
        items = await _outbox(sessions)
        assert [(i.user_id, i.status) for i in items] == [(1, "cancelled"), (2, "cancelled")]
    finally:
        await engine.dispose()


async def test_mydata_shows_the_opt_in_and_forget_erases_it(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        await SqlUsers(sessions).touch(7, "bg", T0)
        await SqlAlertOptIns(sessions).set(7, True, T0)
        alert = await SqlAlerts(sessions).create(DRAFT, 7, T0)
        personal = SqlPersonalData(sessions)
        exported = await personal.export(7)
        assert exported["alert_opt_ins"] == [{"user_id": 7, "since": T0}]
        await personal.erase(7)
        assert not await SqlAlertOptIns(sessions).is_on(7)
        # The alert an organiser wrote stays; who wrote it does not.
        kept = await SqlAlerts(sessions).get(alert.id)
        assert kept is not None and kept.created_by is None
    finally:
        await engine.dispose()
