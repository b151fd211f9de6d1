"""Whose clock a time is read on, and how a zone is named to the reader.

A user's zone is a place they chose (with /subscribe or /settings); without one, the campaign's
DEFAULT_TIMEZONE. Never the language: English is read in Sofia as much as in Brussels.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import get_timezone, get_timezone_location

from bot.content.catalog import Catalog
from bot.core.events import valid_zone


def viewer_zone(stored: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone a user reads times in: `stored`, their own, when known; else `default`."""
    if stored and valid_zone(stored):
        return ZoneInfo(stored)
    return default


def zone_city(catalog: Catalog, lang: str, zone: str) -> str:
    """ "Sofia", "Лисабон": the zone's city in the reader's language (Babel's CLDR names)."""
    locale = catalog.languages[lang].babel_locale
    return str(get_timezone_location(get_timezone(zone), locale=locale, return_city=True))


def utc_offset(zone: str, at: dt.datetime) -> str:
    """ "UTC+03:00": the offset in force at `at`, which for an October event is summer time."""
    offset = at.astimezone(ZoneInfo(zone)).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def zone_label(catalog: Catalog, lang: str, zone: str, at: dt.datetime) -> str:
    """ "Sofia (UTC+02:00)": the city in the reader's language and the offset in force at `at`."""
    return f"{zone_city(catalog, lang, zone)} ({utc_offset(zone, at)})"


def same_clock(a: ZoneInfo, b: ZoneInfo, *moments: dt.datetime) -> bool:
    """Whether two zones show the same time at every one of `moments` (Athens and Sofia do)."""
    return all(m.astimezone(a).utcoffset() == m.astimezone(b).utcoffset() for m in moments)
