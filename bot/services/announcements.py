"""Announcements queued and cancelled: one code path for /announce and /broadcasts in the chat
and `ecsm-bot broadcast`, each written to the audit log with who did it (in the same
transaction)."""

from __future__ import annotations

import datetime as dt

from bot.core.domain_events import AnnouncementCancelled, AnnouncementScheduled, Origin
from bot.core.messages import Reply
from bot.core.payloads import payload_of
from bot.core.ports import Audience, BroadcastRecord
from bot.core.roles import check
from bot.core.unit_of_work import UnitsOfWork
from bot.services.messagebus import MessageBus


class AnnouncementService:
    def __init__(self, units: UnitsOfWork, bus: MessageBus) -> None:
        self.units = units
        self.bus = bus

    async def schedule(
        self,
        message: Reply,
        audience: Audience,
        send_at: dt.datetime,
        origin: Origin,
        now: dt.datetime,
    ) -> BroadcastRecord:
        """Store the announcement; the planner fans it out into the outbox at `send_at` (now:
        at its next tick). `message` was checked by bot.core.announcements."""
        if origin.staff is not None:  # a regional organiser announces to its region only
            check(origin.staff, "announcements.send", audience.region)
        async with self.units() as uow:
            record = await uow.broadcasts.create(
                origin.actor or 0, payload_of(message), audience, send_at, now
            )
            uow.record(AnnouncementScheduled(record, audience, send_at, origin, now))
            await self.bus.handle(uow)
            await uow.commit()
        return record

    async def cancel(
        self, broadcast_id: int, origin: Origin, now: dt.datetime
    ) -> BroadcastRecord | None:
        """Withdraw what still waits of it; None when there is no such announcement."""
        async with self.units() as uow:
            if origin.staff is not None:
                existing = await uow.broadcasts.get(broadcast_id)
                region = existing.audience.region if existing else None
                check(origin.staff, "announcements.send", region)
            record = await uow.broadcasts.cancel(broadcast_id, now)
            if record is None:
                return None
            uow.record(AnnouncementCancelled(record, origin, now))
            await self.bus.handle(uow)
            await uow.commit()
        return record
