"""What the dashboard's events and announcements pages run on, built by bot/bootstrap.py: the
use cases (the services the chat's wizards and the command line call) and the reads that are
no part of a use case (the lists, an audience's size, an announcement's delivery counts)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.core.ports import Audience, Broadcasts, Deliveries, Events
from bot.services.announcements import AnnouncementService
from bot.services.audience_sizes import AudienceSize, AudienceSizeService
from bot.services.events import EventService


@dataclass(frozen=True)
class EventTools:
    service: EventService  # create, edit, cancel, import: reminders move, who asked is told
    events: Events  # the list and one event


class AudienceSizes:
    """An audience's size, kept for a few seconds. The composer asks for its preview as the
    organiser types (static/announce.js), and counting everyone is a count over every user:
    while only the text changes, the audience and its size do not, so it is counted once per
    `keep` seconds (and again at once when the audience fields change: another key)."""

    def __init__(
        self,
        keep: float = 10.0,
        most: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep, self.most, self.clock = keep, most, clock
        self._sizes: OrderedDict[Audience, tuple[float, AudienceSize]] = OrderedDict()

    async def size(
        self, audience: Audience, count: Callable[[Audience], Awaitable[AudienceSize]]
    ) -> AudienceSize:
        now = self.clock()
        kept = self._sizes.get(audience)
        if kept is not None and now - kept[0] < self.keep:
            return kept[1]
        size = await count(audience)
        self._sizes[audience] = (now, size)
        self._sizes.move_to_end(audience)
        while len(self._sizes) > self.most:
            self._sizes.popitem(last=False)
        return size


@dataclass(frozen=True)
class AnnouncementTools:
    service: AnnouncementService  # schedule and cancel, audited
    broadcasts: Broadcasts  # the history and an audience's size
    deliveries: Deliveries  # what each announcement's messages have become
    events: Events  # the events whose reminder-takers may be the audience
    zone: ZoneInfo  # a time typed is in DEFAULT_TIMEZONE, as in the chat and the command line
    sizes: AudienceSizes = field(default_factory=AudienceSizes)  # the composer's, kept briefly
    # Sizes from the rollups' snapshot where it counts the same people; None: always counted.
    estimates: AudienceSizeService | None = None

    async def audience_size(self, audience: Audience) -> AudienceSize:
        if self.estimates is not None:
            return await self.estimates.size(audience)
        return AudienceSize(await self.broadcasts.audience_size(audience), estimated=False)
