"""What the events, announcements and alerts pages share: reading a time typed in a form, the
regions someone may act in, dates written the language's way, and an event problem in words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.content.catalog import Catalog
from bot.core.events import Problem
from bot.core.roles import Staff, allowed
from bot.events.import_words import problem_words


def local_time(value: str, zone: ZoneInfo) -> dt.datetime | None:
    """`2026-10-20T18:00` (an <input type=datetime-local>) or `2026-10-20 18:00` in `zone`;
    None when it is no such time."""
    value = value.strip()
    if len(value) < 16:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value[:16].replace(" ", "T"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=zone, fold=0)


def form_time(value: dt.datetime, zone: ZoneInfo) -> str:
    """The value of an <input type=datetime-local> for `value` in `zone`."""
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def regions_for(staff: Staff, permission: str, catalog: Catalog) -> list[str]:
    """The region keys `staff` may do `permission` in, in display order."""
    return [key for key in catalog.regions if allowed(staff, permission, key)]


def when_text(catalog: Catalog, lang: str, value: dt.datetime, zone: ZoneInfo) -> str:
    locale = catalog.languages[lang].babel_locale
    local = value.astimezone(zone)
    return f"{format_datetime(local, 'd MMM y, HH:mm', locale=locale)} ({zone.key})"


def problem_text(catalog: Catalog, lang: str, problem: Problem) -> str:
    """An event's problem as the chat words it (event.problem.* in data/ui), in plain text,
    which the page's template escapes again; the importer's rows are worded the same way."""
    return problem_words(catalog, lang, problem)
