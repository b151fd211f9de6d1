"""Saving and cancelling an event: one code path for /newevent and /editevent in the chat,
`ecsm-bot events import` and the loading of data/events/ at start-up.

Saving stores the event; when that made a new version it records EventChanged, whose handler
withdraws the reminders waiting for the old version, schedules them for the new time and tells
everyone who asked for a reminder, through the outbox. The outbox keys carry the event's
version, so each person is told once per version, and saving the same content again makes no
version and sends nothing. Then the audit entry. All of it is one transaction (one unit of
work): after a crash either all of it happened or none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.domain_events import EventCancelled, EventChanged, EventSaved, Origin
from bot.core.events import EventDraft
from bot.core.ports import Change, EventRecord
from bot.core.roles import Staff, check
from bot.core.unit_of_work import UnitOfWork, UnitsOfWork
from bot.services.messagebus import MessageBus

__all__ = ["EventService", "Origin", "Saved"]


@dataclass(frozen=True, slots=True)
class Saved:
    event: EventRecord
    change: Change
    told: int  # people told of the change


class EventService:
    def __init__(self, units: UnitsOfWork, bus: MessageBus) -> None:
        self.units = units
        self.bus = bus

    async def save(self, draft: EventDraft, origin: Origin, now: dt.datetime) -> Saved:
        """Create the event, or update the one with the same key (see the module's doc)."""
        return (await self.save_all((draft,), origin, now))[0]

    async def save_all(
        self, drafts: Sequence[EventDraft], origin: Origin, now: dt.datetime
    ) -> list[Saved]:
        """Save every draft (an imported file) or none: the regions are checked for all of
        them first, then they are saved in one unit of work."""
        async with self.units() as uow:
            if origin.staff is not None:  # a regional organiser saves its region's events only
                for draft in drafts:
                    await self._check_region(uow, origin.staff, draft)
            saved = [await self._save(uow, draft, origin, now) for draft in drafts]
            await uow.commit()
        return saved

    @staticmethod
    async def _check_region(uow: UnitOfWork, staff: Staff, draft: EventDraft) -> None:
        """The draft's region, and the region of the event already stored under its key: a
        draft reusing another region's key would move that region's event (NotAllowed)."""
        check(staff, "events.edit", draft.region)
        existing = await uow.events.by_key(draft.key)
        if existing is not None:
            check(staff, "events.edit", existing.draft.region)

    async def _save(
        self, uow: UnitOfWork, draft: EventDraft, origin: Origin, now: dt.datetime
    ) -> Saved:
        stored = await uow.events.store(draft, origin.actor, now)
        event, change = stored.event, stored.change
        told = 0
        if change == "updated":
            uow.record(EventChanged(event, now))
            told = await self.bus.handle(uow)
        if change != "unchanged" or not origin.quiet_when_unchanged:
            uow.record(EventSaved(event, change, told, origin, now))
            await self.bus.handle(uow)
        return Saved(event, change, told)

    async def cancel(self, event_id: int, origin: Origin, now: dt.datetime) -> Saved | None:
        """Cancel the event: its reminders are withdrawn and whoever asked for one is told."""
        async with self.units() as uow:
            if origin.staff is not None:
                existing = await uow.events.get(event_id)
                check(origin.staff, "events.edit", existing.draft.region if existing else None)
            event = await uow.events.cancel(event_id, now)
            if event is None:
                return None
            uow.record(EventChanged(event, now))
            told = await self.bus.handle(uow)
            uow.record(EventCancelled(event, told, origin, now))
            await self.bus.handle(uow)
            await uow.commit()
        return Saved(event, "updated", told)
