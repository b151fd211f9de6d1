"""The names of outbox items, built and read in one place.

Every item has an idempotency key, unique in the outbox, so that whatever repeats (a tick, a
restart, a second process) queues it once; many also have a ref, what the item belongs to, by
which the waiting ones are counted and withdrawn together. Both are stored, so their spelling is
part of the database's contents: change it only with a migration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TIP, REMINDER, NOTICE, ANNOUNCEMENT, EVENT = "tip", "rem", "chg", "ann", "ev"
ALERT = "alert"


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A key or ref read back: its kind and its parts in the order they were built."""

    kind: str
    parts: tuple[str, ...]


# --- idempotency keys ------------------------------------------------------------------------


def tip_key(user_id: int, day: dt.date) -> str:
    """One tip per user and local day."""
    return f"{TIP}:{user_id}:{day.isoformat()}"


def reminder_key(event_id: int, version: int, user_id: int, minutes: int) -> str:
    """One reminder per version of the event, person and time before the start: a changed
    event gets new keys."""
    return f"{REMINDER}:{event_id}:{version}:{user_id}:{minutes}"


def notice_key(event_id: int, version: int, status: str, user_id: int) -> str:
    """One notice per version and status of the event (changed, cancelled) and person."""
    return f"{NOTICE}:{event_id}:{version}:{status}:{user_id}"


def announcement_key(broadcast_id: int, user_id: int) -> str:
    return f"{ANNOUNCEMENT}:{broadcast_id}:{user_id}"


def alert_key(alert_id: int, user_id: int) -> str:
    """One message per scam alert and person who opted in."""
    return f"{ALERT}:{alert_id}:{user_id}"


# --- refs --------------------------------------------------------------------------------------


def announcement_ref(broadcast_id: int) -> str:
    """Every message of one announcement."""
    return f"{ANNOUNCEMENT}:{broadcast_id}"


def alert_ref(alert_id: int) -> str:
    """Every message of one scam alert (withdrawn together when it is retired)."""
    return f"{ALERT}:{alert_id}"


def event_user_ref(event_id: int, user_id: int) -> str:
    """The reminders one person asked for, for one event."""
    return f"{EVENT}:{event_id}:{user_id}"


# --- reading them back -------------------------------------------------------------------------

_PARTS = {
    # kind: (parts of a key, parts of a ref)
    TIP: (2, None),
    REMINDER: (4, None),
    NOTICE: (4, None),
    ANNOUNCEMENT: (2, 1),
    EVENT: (None, 2),
    ALERT: (2, 1),
}


def parse(name: str) -> ParsedName | None:
    """A key or ref built here, or None for anything else."""
    kind, _, rest = name.partition(":")
    counts = _PARTS.get(kind)
    parts = tuple(rest.split(":")) if rest else ()
    if counts is None or len(parts) not in counts or not all(parts):
        return None
    return ParsedName(kind, parts)


def announcement_of(ref: str) -> int | None:
    """The announcement an item's ref names, or None when it belongs to something else."""
    parsed = parse(ref)
    if parsed is None or parsed.kind != ANNOUNCEMENT or not parsed.parts[0].isdigit():
        return None
    return int(parsed.parts[0])


def alert_of(ref: str) -> int | None:
    """The scam alert an item's ref names, or None when it belongs to something else."""
    parsed = parse(ref)
    if parsed is None or parsed.kind != ALERT or not parsed.parts[0].isdigit():
        return None
    return int(parsed.parts[0])
