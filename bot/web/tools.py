"""What the dashboard's events and announcements pages run on, built by bot/bootstrap.py: the
use cases (the services the chat's wizards and the command line call) and the reads that are
no part of a use case (the lists, an audience's size, an announcement's delivery counts)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.ports import Broadcasts, Deliveries, Events
from bot.services.announcements import AnnouncementService
from bot.services.events import EventService


@dataclass(frozen=True)
class EventTools:
    service: EventService  # create, edit, cancel, import: reminders move, who asked is told
    events: Events  # the list and one event


@dataclass(frozen=True)
class AnnouncementTools:
    service: AnnouncementService  # schedule and cancel, audited
    broadcasts: Broadcasts  # the history and an audience's size
    deliveries: Deliveries  # what each announcement's messages have become
    events: Events  # the events whose reminder-takers may be the audience
    zone: ZoneInfo  # a time typed is in DEFAULT_TIMEZONE, as in the chat and the command line
