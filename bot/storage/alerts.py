"""Scam alerts on SQLAlchemy (bot/core/alerts.py's AlertStore and AlertOptIns), and their fan-out
into the outbox.

Fan-out works like an announcement's (bot/storage/broadcasts.py): the people who opted in are
walked in user id order, a batch per transaction, the batch's outbox rows and the alert's
`fanned_out_to` moving together; the key alert:<alert>:<user> makes a repeated batch harmless,
and on PostgreSQL the alert row is taken with SKIP LOCKED so two processes never fan out the same
one at once. Each person gets the message in their language (the bot's default when theirs is
gone)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import ScalarSelect, delete, func, select

from bot.core.alerts import AlertContent, AlertDraft, AlertStatus, ScamAlert
from bot.core.outbox_refs import alert_key, alert_ref
from bot.storage.db import Store, reading, upsert_insert, writing
from bot.storage.outbox import BULK, cancel_waiting, insert_ignoring_duplicates, new_row
from bot.storage.schema import AlertOptIn, ScamAlertMatchCount, ScamAlertRow, User

# What is left of an alert's fan-out.
WAITING, DONE, STOPPED = "waiting", "done", "stopped"
# An alert that could not be sent within this time is old news: the rest are dropped.
SEND_WITHIN = dt.timedelta(days=2)


def _content(raw: Mapping[str, Any]) -> dict[str, AlertContent]:
    return {
        language: AlertContent(
            text["title"], text["looks_like"], text["advice"], tuple(text.get("examples", ()))
        )
        for language, text in raw.items()
    }


def _raw(content: Mapping[str, AlertContent]) -> dict[str, Any]:
    return {
        language: {
            "title": text.title,
            "looks_like": text.looks_like,
            "advice": text.advice,
            "examples": list(text.examples),
        }
        for language, text in content.items()
    }


def _alert(row: ScamAlertRow, matches: int = 0) -> ScamAlert:
    return ScamAlert(
        id=row.id,
        content=_content(row.content),
        default_language=row.default_language,
        source_url=row.source_url,
        status=AlertStatus(row.status),
        published=row.published_on,
        created_by=row.created_by,
        matches=matches,
    )


def _matches() -> ScalarSelect[int]:
    return (
        select(func.coalesce(func.sum(ScamAlertMatchCount.count), 0))
        .where(ScamAlertMatchCount.alert_id == ScamAlertRow.id)
        .scalar_subquery()
    )


class SqlAlerts:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def create(self, draft: AlertDraft, by: int | None, now: dt.datetime) -> ScamAlert:
        async with writing(self._sessions) as session:
            row = ScamAlertRow(
                content=_raw(draft.content),
                default_language=draft.default_language,
                source_url=draft.source_url,
                status=AlertStatus.DRAFT.value,
                created_by=by,
                created_at=now,
                updated_at=now,
                queued=0,
            )
            session.add(row)
            await session.flush()
            return _alert(row)

    async def get(self, alert_id: int) -> ScamAlert | None:
        async with reading(self._sessions) as session:
            found = (
                await session.execute(
                    select(ScamAlertRow, _matches()).where(ScamAlertRow.id == alert_id)
                )
            ).first()
            return _alert(found[0], int(found[1])) if found else None

    async def find(self, statuses: Collection[AlertStatus] = ()) -> list[ScamAlert]:
        query = select(ScamAlertRow, _matches()).order_by(ScamAlertRow.id.desc())
        if statuses:
            query = query.where(ScamAlertRow.status.in_([status.value for status in statuses]))
        async with reading(self._sessions) as session:
            return [_alert(row, int(matches)) for row, matches in await session.execute(query)]

    async def edit(self, alert_id: int, draft: AlertDraft, now: dt.datetime) -> ScamAlert | None:
        async with writing(self._sessions) as session:
            row = await session.get(ScamAlertRow, alert_id, with_for_update=True)
            if row is None or row.status == AlertStatus.RETIRED:
                return None
            row.content = _raw(draft.content)
            row.default_language = draft.default_language
            row.source_url = draft.source_url
            row.updated_at = now
            await session.flush()
            return _alert(row)

    async def publish(
        self, alert_id: int, payloads: Mapping[str, dict[str, Any]], now: dt.datetime
    ) -> ScamAlert | None:
        async with writing(self._sessions) as session:
            row = await session.get(ScamAlertRow, alert_id, with_for_update=True)
            if row is None or row.status != AlertStatus.DRAFT:
                return None
            row.status = AlertStatus.PUBLISHED.value
            row.published_on = now.date()
            row.updated_at = now
            row.payloads = dict(payloads)
            row.fan_out = WAITING
            await session.flush()
            return _alert(row)

    async def retire(self, alert_id: int, now: dt.datetime) -> ScamAlert | None:
        async with writing(self._sessions) as session:
            row = await session.get(ScamAlertRow, alert_id, with_for_update=True)
            if row is None:
                return None
            if row.status != AlertStatus.RETIRED:
                row.status = AlertStatus.RETIRED.value
                row.retired_at = row.updated_at = now
                if row.fan_out == WAITING:
                    row.fan_out = STOPPED
                await cancel_waiting(session, alert_ref(row.id), now)
            await session.flush()
            return _alert(row)

    async def count_match(self, alert_id: int, now: dt.datetime) -> None:
        # Only copies of a known wave get here, a few a day: one write each costs nothing.
        async with writing(self._sessions) as session:
            statement = upsert_insert(session, ScamAlertMatchCount).values(
                alert_id=alert_id, day=now.date(), count=1
            )
            statement = statement.on_conflict_do_update(
                index_elements=["alert_id", "day"],
                set_={"count": ScamAlertMatchCount.count + 1},
            )
            await session.execute(statement)

    async def matches_by_day(self, alert_id: int) -> list[tuple[dt.date, int]]:
        """For the dashboard: the alert's matches per day, oldest first."""
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(ScamAlertMatchCount.day, ScamAlertMatchCount.count)
                .where(ScamAlertMatchCount.alert_id == alert_id)
                .order_by(ScamAlertMatchCount.day)
            )
            return [(day, int(count)) for day, count in rows]


class SqlAlertOptIns:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def is_on(self, user_id: int) -> bool:
        async with reading(self._sessions) as session:
            return await session.get(AlertOptIn, user_id) is not None

    async def set(self, user_id: int, on: bool, now: dt.datetime) -> bool:
        async with writing(self._sessions) as session:
            if not on:
                result = await session.execute(
                    delete(AlertOptIn).where(AlertOptIn.user_id == user_id)
                )
                return bool(getattr(result, "rowcount", 0))
            if await session.get(AlertOptIn, user_id) is not None:
                return False
            # A double tap may insert at the same time: the second one changes nothing.
            statement = (
                upsert_insert(session, AlertOptIn)
                .values(user_id=user_id, since=now)
                .on_conflict_do_nothing(index_elements=["user_id"])
            )
            await session.execute(statement)
            return True

    async def count(self) -> int:
        async with reading(self._sessions) as session:
            return int(await session.scalar(select(func.count()).select_from(AlertOptIn)) or 0)


class AlertPlanner:
    """Moves published alerts into the outbox, a batch of the people who opted in at a time."""

    def __init__(
        self,
        sessions: Store,
        default_language: str,
        batch: int = 1000,
    ) -> None:
        self.sessions = sessions
        self.default_language = default_language
        self.batch = batch

    async def fan_out(
        self, now: dt.datetime, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Queue every published alert completely; the number of messages queued."""
        queued = 0
        while True:
            step = await self._one_batch(now)
            if step is None:
                return queued
            alert_id, added = step
            queued += added
            if progress is not None:
                progress(alert_id, added)

    async def _one_batch(self, now: dt.datetime) -> tuple[int, int] | None:
        async with writing(self.sessions) as session:
            query = (
                select(ScamAlertRow)
                .where(ScamAlertRow.fan_out == WAITING)
                .order_by(ScamAlertRow.id)
                .limit(1)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = await session.scalar(query)
            if row is None:
                return None
            recipients = (
                select(User.id, User.language)
                .join(AlertOptIn, AlertOptIn.user_id == User.id)
                .order_by(User.id)
                .limit(self.batch)
            )
            if row.fanned_out_to is not None:
                recipients = recipients.where(User.id > row.fanned_out_to)
            people = list(await session.execute(recipients))
            payloads: dict[str, Any] = row.payloads or {}
            fallback = payloads.get(self.default_language) or next(iter(payloads.values()), None)
            if people and fallback is not None:
                await insert_ignoring_duplicates(
                    session,
                    [
                        new_row(
                            alert_key(row.id, user_id),
                            user_id,
                            "alert",
                            payloads.get(language) or fallback,
                            now,
                            expires_at=now + SEND_WITHIN,
                            ref=alert_ref(row.id),
                            priority=BULK,
                        )
                        for user_id, language in people
                    ],
                )
                row.fanned_out_to = people[-1][0]
                row.queued += len(people)
            if len(people) < self.batch or fallback is None:
                row.fan_out = DONE
            return row.id, len(people)
