"""Saving and cancelling an event: one code path for /newevent and /editevent in the chat,
`ecsm-bot events import` and the loading of data/events/ at start-up.

Saving stores the event; when that made a new version it withdraws the reminders waiting for the
old one, schedules them for the new time and tells everyone who asked for a reminder, through
the outbox. The outbox keys carry the event's version, so each person is told once per version,
and saving the same content again makes no version and sends nothing. Then it writes the audit
log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.events import EventDraft
from bot.core.ports import Audit, Change, EventRecord, Events


class ChangeNotices(Protocol):
    """Who asked for a reminder is told of a change (bot.features.event_list.EventsFeature)."""

    async def notify_change(self, event: EventRecord, now: dt.datetime) -> int:
        """Withdraw the waiting reminders, queue a notice and the new reminders; how many
        people were told."""
        ...


@dataclass(frozen=True, slots=True)
class Origin:
    """Who saves, for the audit log. `actor` is the organiser's user id (None off the chat);
    `action` names the audit entry when the entrypoint has its own ("event_imported"); with
    `quiet_when_unchanged` saving the same content again leaves no entry either (start-up)."""

    actor: int | None
    details: Mapping[str, Any] = field(default_factory=dict)
    action: str | None = None
    quiet_when_unchanged: bool = False


@dataclass(frozen=True, slots=True)
class Saved:
    event: EventRecord
    change: Change
    told: int  # people told of the change


class EventService:
    def __init__(
        self,
        events: Events,
        audit: Audit,
        notices: ChangeNotices,
    ) -> None:
        self.events = events
        self.audit = audit
        self.notices = notices

    async def save(self, draft: EventDraft, origin: Origin, now: dt.datetime) -> Saved:
        """Create the event, or update the one with the same key (see the module's doc)."""
        stored = await self.events.store(draft, origin.actor, now)
        event, change = stored.event, stored.change
        told = await self.notices.notify_change(event, now) if change == "updated" else 0
        if change != "unchanged" or not origin.quiet_when_unchanged:
            action = origin.action or ("event_created" if change == "created" else "event_updated")
            await self.audit.record(
                origin.actor,
                action,
                {
                    **origin.details,
                    "event_id": event.id,
                    "key": event.draft.key,
                    "version": event.version,
                    "change": change,
                    "told": told,
                },
                now,
            )
        return Saved(event, change, told)

    async def cancel(self, event_id: int, origin: Origin, now: dt.datetime) -> Saved | None:
        """Cancel the event: its reminders are withdrawn and whoever asked for one is told."""
        event = await self.events.cancel(event_id, now)
        if event is None:
            return None
        told = await self.notices.notify_change(event, now)
        await self.audit.record(
            origin.actor,
            origin.action or "event_cancelled",
            {**origin.details, "event_id": event_id, "told": told},
            now,
        )
        return Saved(event, "updated", told)
