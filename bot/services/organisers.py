"""Who may use the organisers' tools: adding and removing an organiser, audited. Admins are the
settings' ORGANISER_IDS and are not managed here."""

from __future__ import annotations

import datetime as dt

from bot.core.ports import Audit, Roles
from bot.services.events import Origin


class OrganiserService:
    def __init__(self, roles: Roles, audit: Audit) -> None:
        self.roles = roles
        self.audit = audit

    async def add(self, user_id: int, origin: Origin, now: dt.datetime) -> bool:
        """False when they already were one (nothing is written then)."""
        changed = await self.roles.add_organiser(user_id, origin.actor or 0, now)
        if changed:
            await self._audit("organiser_add", user_id, origin, now)
        return changed

    async def remove(self, user_id: int, origin: Origin, now: dt.datetime) -> bool:
        """False when they were not one."""
        changed = await self.roles.remove_organiser(user_id)
        if changed:
            await self._audit("organiser_remove", user_id, origin, now)
        return changed

    async def _audit(self, action: str, user_id: int, origin: Origin, now: dt.datetime) -> None:
        details = {**origin.details, "user_id": user_id}
        await self.audit.record(origin.actor, action, details, now)
