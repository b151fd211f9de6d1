"""One event as an .ics file, for "add to my calendar" and for cancellations.

The X-ECSM-* properties carry what iCalendar has no place for, so that an exported event can be
imported again (`bot.events.importer`) without losing anything but the other languages.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vText

from bot.core.events import EventDraft, EventText, valid_zone
from bot.events.importer import OWN_UID_SUFFIX

PRODID = "-//ecsm-bot//EN"
REMINDER_BEFORE = dt.timedelta(hours=1)


def event_ics(
    draft: EventDraft, language: str, cancelled: bool = False, sequence: int = 0
) -> bytes:
    """`sequence` must grow with every change, or calendars keep the copy they already have."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(draft, language, cancelled, sequence))
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()  # untyped in icalendar 7
    return ical


def _event(draft: EventDraft, language: str, cancelled: bool, sequence: int) -> Event:
    used, text = _text(draft, language)
    event = Event()
    event.add("uid", f"{draft.key}{OWN_UID_SUFFIX}")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    zone = ZoneInfo(draft.timezone) if valid_zone(draft.timezone) else dt.UTC
    event.add("dtstart", draft.start.astimezone(zone))
    event.add("dtend", draft.end.astimezone(zone))
    event.add("summary", text.title, parameters={"LANGUAGE": used})
    if text.description:
        event.add("description", text.description, parameters={"LANGUAGE": used})
    if text.place:
        event.add("location", text.place, parameters={"LANGUAGE": used})
    elif draft.place or draft.online_url:
        event.add("location", draft.place or draft.online_url)
    if draft.link:
        event.add("url", draft.link)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    _add_own_properties(event, draft, used, text)
    if not cancelled:
        event.add_component(_reminder(text.title))
    return event


def _text(draft: EventDraft, language: str) -> tuple[str, EventText]:
    if language in draft.texts:
        return language, draft.texts[language]
    for other, text in draft.texts.items():
        return other, text
    # Stored events always have a text; the key keeps a calendar entry recognisable anyway.
    return language, EventText(draft.key, "")


def _add_own_properties(event: Event, draft: EventDraft, used: str, text: EventText) -> None:
    if text.organiser:
        event.add("x-ecsm-organiser", vText(text.organiser), parameters={"LANGUAGE": used})
    own = {
        "x-ecsm-online-url": draft.online_url,
        "x-ecsm-region": draft.region,
        "x-ecsm-country": draft.country,
        "x-ecsm-audience": draft.audience,
        "x-ecsm-organiser": draft.organiser,
        "x-ecsm-sample": "TRUE" if draft.sample else None,
    }
    for name, value in own.items():
        if value:
            # vText escapes commas, semicolons and line breaks, which X- properties need too.
            event.add(name, vText(value))


def _reminder(title: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)  # RFC 5545 requires it for DISPLAY alarms
    alarm.add("trigger", -REMINDER_BEFORE)
    return alarm
