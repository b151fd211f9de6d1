"""Callback data for buttons: compact, at most 64 bytes, and parsed strictly on the way back,
because a client can send any bytes it likes."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_SAFE = re.compile(r"^[a-z0-9_]{1,40}$")


@dataclass(frozen=True, slots=True)
class Callback:
    action: str
    args: tuple[str, ...] = ()


def encode(action: str, *args: str | int) -> str:
    parts = [action, *(str(a) for a in args)]
    for part in parts:
        if not _SAFE.match(part):
            raise ValueError(f"callback part {part!r} is not [a-z0-9_]")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data {data!r} is over {MAX_BYTES} bytes")
    return data


def decode(data: str) -> Callback | None:
    """The callback, or None for anything malformed (the caller treats it as a stale button)."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    parts = data.split(":")
    if not all(_SAFE.match(part) for part in parts):
        return None
    return Callback(action=parts[0], args=tuple(parts[1:]))
