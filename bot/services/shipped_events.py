"""Loading the shipped events (data/events/) at start-up: each is saved by key through the event
service, like any other change, so the people who asked for a reminder of a moved event are
told. Run by the entrypoint as it starts (bot/app.py), not by the composition."""

from __future__ import annotations

import datetime as dt

from bot.core.ports import EventFiles
from bot.services.events import EventService, Origin

# Loading data/events/ is nobody's action: an unchanged event leaves no trace in the audit log.
AT_START_UP = Origin(None, {"via": "startup"}, "event_loaded", quiet_when_unchanged=True)
# Shipped events may already be over: they are checked as of ten years ago, then skipped.
LOOK_BACK = dt.timedelta(days=3650)


class ShippedEvents:
    def __init__(self, files: EventFiles, events: EventService) -> None:
        self.files = files
        self.events = events

    async def load(self, now: dt.datetime) -> None:
        for draft in await self.files.drafts(now - LOOK_BACK):
            if draft.end > now:
                await self.events.save(draft, AT_START_UP, now)
