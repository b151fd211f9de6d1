"""What happened in a use case, recorded on its unit of work and handled in one place (the
handler table of bot/services/handlers.py, run by bot/services/messagebus.py): the people who
asked for a reminder are told of a changed event, everything an organiser does is written to
the audit log. A use case records what happened; it does not call what follows from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.alerts import ScamAlert
from bot.core.ports import Audience, BroadcastRecord, Change, EventRecord
from bot.core.roles import Staff


@dataclass(frozen=True, slots=True)
class Origin:
    """Who did it, for the audit log. `actor` is the organiser's user id (None off the chat);
    `action` names the audit entry when the entrypoint has its own ("event_imported"); with
    `quiet_when_unchanged` saving the same content again leaves no entry either (start-up)."""

    actor: int | None
    details: Mapping[str, Any] = field(default_factory=dict)
    action: str | None = None
    quiet_when_unchanged: bool = False
    # Who acts, with their role and regions (bot.core.roles): when given, the service refuses
    # what the role does not cover (NotAllowed). The command line and start-up act as operators.
    staff: Staff | None = None


@dataclass(frozen=True, slots=True)
class EventChanged:
    """An event got a new version (its content changed, or it was cancelled): whoever asked
    for a reminder is told, and their reminders move to the new time."""

    event: EventRecord
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventSaved:
    event: EventRecord
    change: Change
    told: int  # people told of the change
    origin: Origin
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventCancelled:
    event: EventRecord
    told: int
    origin: Origin
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class AnnouncementScheduled:
    """Stored; the broadcast planner fans it out into the outbox at its time."""

    announcement: BroadcastRecord
    audience: Audience
    send_at: dt.datetime
    origin: Origin
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class AnnouncementCancelled:
    announcement: BroadcastRecord
    origin: Origin
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrganiserAdded:
    user_id: int
    origin: Origin
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrganiserRemoved:
    user_id: int
    origin: Origin
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrganiserChanged:
    """An organiser's role or regions changed (the dashboard's organisers page)."""

    user_id: int
    role: str
    regions: frozenset[str]
    origin: Origin
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class AlertChanged:
    """An organiser created, published, edited or retired a scam alert; `action` names which
    (alert_created, alert_published, alert_edited, alert_retired)."""

    alert: ScamAlert
    action: str
    origin: Origin
    at: dt.datetime


DomainEvent = (
    EventChanged
    | EventSaved
    | EventCancelled
    | AnnouncementScheduled
    | AnnouncementCancelled
    | OrganiserAdded
    | OrganiserRemoved
    | OrganiserChanged
    | AlertChanged
)
