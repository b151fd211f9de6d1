"""Announcements queued and cancelled: one code path for /announce and /broadcasts in the chat
and `ecsm-bot broadcast`, each written to the audit log with who did it."""

from __future__ import annotations

import datetime as dt

from bot.core.messages import Reply
from bot.core.payloads import payload_of
from bot.core.ports import Audience, Audit, BroadcastRecord, Broadcasts
from bot.services.events import Origin


class AnnouncementService:
    def __init__(self, broadcasts: Broadcasts, audit: Audit) -> None:
        self.broadcasts = broadcasts
        self.audit = audit

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
        record = await self.broadcasts.create(
            origin.actor or 0, payload_of(message), audience, send_at, now
        )
        details = {
            **origin.details,
            "broadcast_id": record.id,
            "audience": audience.as_dict(),
            "send_at": send_at.isoformat(),
        }
        await self.audit.record(origin.actor, "broadcast_created", details, now)
        return record

    async def cancel(
        self, broadcast_id: int, origin: Origin, now: dt.datetime
    ) -> BroadcastRecord | None:
        """Withdraw what still waits of it; None when there is no such announcement."""
        record = await self.broadcasts.cancel(broadcast_id, now)
        if record is None:
            return None
        details = {**origin.details, "broadcast_id": record.id}
        await self.audit.record(origin.actor, "broadcast_cancelled", details, now)
        return record
