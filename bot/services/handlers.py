"""The one handler table: what follows from each domain event (bot/core/domain_events.py).
Built in bot/bootstrap.py with the ports the handlers need; run by the message bus in the
transaction of the use case that recorded the event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.core.domain_events import (
    AlertChanged,
    AnnouncementCancelled,
    AnnouncementScheduled,
    DomainEvent,
    EventCancelled,
    EventChanged,
    EventSaved,
    OrganiserAdded,
    OrganiserChanged,
    OrganiserRemoved,
)
from bot.core.outbox_refs import event_user_ref
from bot.core.ports import EventRecord, Recipient, Scheduled
from bot.core.unit_of_work import UnitOfWork
from bot.services.messagebus import Handler

# Recipients of a change notice are read and queued this many at a time: one statement drops
# the waiting reminders of the whole batch, another queues its notices and new reminders.
FANOUT_BATCH = 500


class ChangeNotices(Protocol):
    """The messages about a changed event, in each recipient's language
    (bot.features.event_list.EventsFeature writes them)."""

    def change_items(
        self, event: EventRecord, recipients: Sequence[Recipient], now: dt.datetime
    ) -> list[Scheduled]:
        """A notice for each recipient, and, for an event still on, their new reminders."""
        ...


class TellWhoAsked:
    """EventChanged: drop the reminders that wait, tell everyone who asked, and schedule their
    reminders for the new time. The outbox keys carry the event's version, so each person is
    told once per version."""

    def __init__(self, notices: ChangeNotices) -> None:
        self.notices = notices

    async def __call__(self, changed: EventChanged, uow: UnitOfWork) -> int:
        event, now = changed.event, changed.at
        told = 0
        after: int | None = None
        while batch := await uow.reminders.recipients(event.id, after, FANOUT_BATCH):
            refs = [event_user_ref(event.id, recipient.user_id) for recipient in batch]
            await uow.deliveries.replace(refs, self.notices.change_items(event, batch, now), now)
            told += len(batch)
            after = batch[-1].user_id
        return told


def audit_entry(event: DomainEvent) -> tuple[str, dict[str, Any]] | None:
    """The audit log's action and details for an event (None: not audited)."""
    match event:
        case EventSaved(record, change, told, origin):
            action = origin.action or ("event_created" if change == "created" else "event_updated")
            details = {
                "event_id": record.id,
                "key": record.draft.key,
                "version": record.version,
                "change": change,
                "told": told,
            }
            return action, {**origin.details, **details}
        case EventCancelled(record, told, origin):
            details = {"event_id": record.id, "told": told}
            return origin.action or "event_cancelled", {**origin.details, **details}
        case AnnouncementScheduled(record, audience, send_at, origin):
            details = {
                "broadcast_id": record.id,
                "audience": audience.as_dict(),
                "send_at": send_at.isoformat(),
            }
            return "broadcast_created", {**origin.details, **details}
        case AnnouncementCancelled(record, origin):
            return "broadcast_cancelled", {**origin.details, "broadcast_id": record.id}
        case OrganiserAdded(user_id, origin):
            return "organiser_add", {**origin.details, "user_id": user_id}
        case OrganiserRemoved(user_id, origin):
            return "organiser_remove", {**origin.details, "user_id": user_id}
        case OrganiserChanged(user_id, role, regions, origin):
            details = {"user_id": user_id, "role": role, "regions": sorted(regions)}
            return origin.action or "organiser_change", {**origin.details, **details}
        case AlertChanged(alert, action, origin):
            title = alert.in_language(alert.default_language).title
            return action, {**origin.details, "alert_id": alert.id, "title": title}
    return None


async def write_audit(event: Any, uow: UnitOfWork) -> int:
    """Everything an organiser, the command line or start-up did, with who did it."""
    entry = audit_entry(event)
    if entry is not None:
        action, details = entry
        await uow.audit.record(event.origin.actor, action, details, event.at)
    return 0


def handlers(notices: ChangeNotices) -> Mapping[type[DomainEvent], Sequence[Handler]]:
    audited: tuple[Handler, ...] = (write_audit,)
    return {
        EventChanged: (TellWhoAsked(notices),),
        EventSaved: audited,
        EventCancelled: audited,
        AnnouncementScheduled: audited,
        AnnouncementCancelled: audited,
        OrganiserAdded: audited,
        OrganiserRemoved: audited,
        OrganiserChanged: audited,
        AlertChanged: audited,
    }
