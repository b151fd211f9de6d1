"""Who may use the organisers' tools: adding, changing (role and regions) and removing an
organiser, each audited in the same transaction, and who someone is (role and regions) for
every entrypoint. Admins named in the settings' ORGANISER_IDS are admins of everything and are
not managed here."""

from __future__ import annotations

import datetime as dt

from bot.core.domain_events import OrganiserAdded, OrganiserChanged, OrganiserRemoved, Origin
from bot.core.ports import StaffRecord
from bot.core.roles import Role, Staff, check, parse_role
from bot.core.unit_of_work import UnitsOfWork
from bot.services.messagebus import MessageBus


class OrganiserService:
    def __init__(
        self, units: UnitsOfWork, bus: MessageBus, admins: frozenset[int] = frozenset()
    ) -> None:
        self.units = units
        self.bus = bus
        self.admins = admins

    async def staff_of(self, user_id: int, language: str = "en") -> Staff | None:
        """Their role and regions; None when they are no organiser at all."""
        if user_id in self.admins:
            return Staff(user_id, "admin", frozenset(), language)
        async with self.units() as uow:
            record = await uow.roles.staff_member(user_id)
        if record is None:
            return None
        return Staff(user_id, parse_role(record.role), record.regions, language)

    async def everyone(self) -> list[StaffRecord]:
        """The stored organisers (the settings' admins are not among them)."""
        async with self.units() as uow:
            return await uow.roles.staff()

    async def add(self, user_id: int, origin: Origin, now: dt.datetime) -> bool:
        """False when they already were one (nothing is written then)."""
        _may_manage(origin)
        async with self.units() as uow:
            changed = await uow.roles.add_organiser(user_id, origin.actor or 0, now)
            if changed:
                uow.record(OrganiserAdded(user_id, origin, now))
                await self.bus.handle(uow)
            await uow.commit()
        return changed

    async def set(
        self, user_id: int, role: Role, regions: frozenset[str], origin: Origin, now: dt.datetime
    ) -> bool:
        """Add them with `role` and `regions`, or change theirs; False when nothing changed.
        An admin has every region: regions given with that role are dropped."""
        _may_manage(origin)
        regions = frozenset() if role == "admin" else regions
        async with self.units() as uow:
            existed = await uow.roles.staff_member(user_id) is not None
            changed = await uow.roles.set_staff(user_id, role, regions, origin.actor, now)
            if changed:
                action = "organiser_change" if existed else "organiser_add"
                uow.record(OrganiserChanged(user_id, role, regions, _as(origin, action), now))
                await self.bus.handle(uow)
            await uow.commit()
        return changed

    async def remove(self, user_id: int, origin: Origin, now: dt.datetime) -> bool:
        """False when they were not one."""
        _may_manage(origin)
        async with self.units() as uow:
            changed = await uow.roles.remove_organiser(user_id)
            if changed:
                uow.record(OrganiserRemoved(user_id, origin, now))
                await self.bus.handle(uow)
            await uow.commit()
        return changed


def _may_manage(origin: Origin) -> None:
    if origin.staff is not None:
        check(origin.staff, "organisers.manage")


def _as(origin: Origin, action: str) -> Origin:
    return Origin(origin.actor, origin.details, origin.action or action, staff=origin.staff)
