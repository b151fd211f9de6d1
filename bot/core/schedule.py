"""Calendar arithmetic for daily tips, pure and time-zone correct.

The catch-up policy: a tip is due at the subscriber's local send time; if the bot was down then,
it still goes out while that local day lasts, and never on a later day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Window:
    """The campaign days (inclusive) on which daily tips are sent."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def local_instant(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of `minute` (from midnight) on `day` in `zone`.

    At the end of summer time an hour repeats: the first occurrence is used. At its start an hour
    is skipped: a time inside the gap is moved forward by the gap (02:30 becomes 03:30)."""
    naive = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    # PEP 495: fold=0 reads a repeated time as its first occurrence, and a skipped time with
    # the offset in force before the gap, which lands the same distance past it.
    return naive.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def next_send(after: dt.datetime, minute: int, zone: ZoneInfo) -> dt.datetime:
    """The first send instant strictly after `after` (UTC)."""
    day = after.astimezone(zone).date()
    for offset in range(3):
        instant = local_instant(day + dt.timedelta(days=offset), minute, zone)
        if instant > after:
            return instant
    raise AssertionError("unreachable: a day always has the minute within three days")


def end_of_local_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return local_instant(day + dt.timedelta(days=1), 0, zone)


def still_today(due: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether a send that was due at `due` may still go out at `now` (same local day)."""
    return due.astimezone(zone).date() == now.astimezone(zone).date() and now >= due


def tip_day(day: dt.date, window: Window, count: int) -> int:
    """Which tip (1-based) belongs to `day`: campaign day N in the window, wrapping around the
    available tips; outside the window the day of the month decides (for /tip all year)."""
    if day in window:
        return (day - window.start).days % count + 1
    return (day.day - 1) % count + 1


_TIME = re.compile(
    r"^\s*(?P<h>[01]?\d|2[0-3])(?:\s*[:.h]\s*(?P<m>[0-5]\d))?\s*"
    r"(?P<ampm>am|pm|a\.m\.|p\.m\.)?\s*(?:ч\.?|часа|chasa|o'?clock|h)?\s*$",
    re.IGNORECASE,
)


def parse_time_of_day(text: str) -> int | None:
    """Minutes from midnight for '8', '08:30', '8.30', '7 pm', '19:00', '8 ч.', else None."""
    match = _TIME.match(text.strip().lower())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = match["ampm"]
    if ampm:
        if hour == 0 or hour > 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    return hour * 60 + minute


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
