"""Calendar files for "Add to calendar", as the core's CalendarRenderer."""

from __future__ import annotations

from bot.core.events import EventDraft
from bot.events.calendar import event_ics


class IcsCalendar:
    def event_ics(self, draft: EventDraft, language: str, cancelled: bool, sequence: int) -> bytes:
        content: bytes = event_ics(draft, language, cancelled=cancelled, sequence=sequence)
        return content
