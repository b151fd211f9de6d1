"""Turns due subscriptions into outbox items. The database is the source of truth: each batch
enqueues its tips and moves each subscription's `next_due_at` on in one transaction, so a crash
either did both or neither, and the outbox key (tip:<user>:<local date>) makes a repeat harmless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.catalog import Catalog
from bot.core.outbox_refs import tip_key
from bot.core.payloads import payload_of
from bot.core.schedule import end_of_local_day, next_send, still_today
from bot.core.tips import TipsPolicy, tip_for, tip_reply
from bot.storage.db import writing
from bot.storage.outbox import insert_ignoring_duplicates, new_row
from bot.storage.schema import Subscription, User


@dataclass
class PlanReport:
    enqueued: int = 0
    missed: int = 0  # due on a local day that is over: not sent late, by policy
    off_season: int = 0


class TipPlanner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        policy: TipsPolicy,
        batch: int = 1000,
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.policy = policy
        self.batch = batch

    async def enqueue_due(self, now: dt.datetime) -> PlanReport:
        report = PlanReport()
        while await self._one_batch(now, report):
            pass
        return report

    async def _one_batch(self, now: dt.datetime, report: PlanReport) -> bool:
        async with writing(self.sessions) as session:
            query = (
                select(
                    Subscription.user_id,
                    Subscription.audience,
                    Subscription.send_minute,
                    Subscription.timezone,
                    Subscription.next_due_at,
                    User.language,
                )
                .join(User, User.id == Subscription.user_id)
                .where(Subscription.active.is_(True), Subscription.next_due_at <= now)
                .order_by(Subscription.next_due_at)
                .limit(self.batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                # Several processes may tick at once: each takes different subscriptions.
                query = query.with_for_update(skip_locked=True, of=Subscription)
            rows = (await session.execute(query)).all()
            if not rows:
                return False
            items: list[dict[str, Any]] = []
            moves: list[dict[str, Any]] = []
            for row in rows:
                zone = ZoneInfo(row.timezone)
                due = row.next_due_at
                day = due.astimezone(zone).date()
                if not still_today(due, now, zone):
                    report.missed += 1
                elif not self.policy.sends_on(self.catalog, day):
                    report.off_season += 1
                else:
                    items.append(
                        self._item(row.user_id, row.language, row.audience, day, zone, now)
                    )
                moves.append(
                    {"user_id": row.user_id, "next_due_at": next_send(now, row.send_minute, zone)}
                )
            if items:
                await insert_ignoring_duplicates(session, items)
            await session.execute(update(Subscription), moves)
            report.enqueued += len(items)
            return True

    def _item(
        self,
        user_id: int,
        language: str,
        audience: str,
        day: dt.date,
        zone: ZoneInfo,
        now: dt.datetime,
    ) -> dict[str, Any]:
        language = (
            language if language in self.catalog.languages else (self.catalog.default_language)
        )
        tip = tip_for(self.catalog, self.policy, language, audience, day)
        payload = payload_of(tip_reply(self.catalog, language, tip, day))
        return new_row(
            tip_key(user_id, day),
            user_id,
            "tip",
            payload,
            now,
            expires_at=end_of_local_day(day, zone),
        )
