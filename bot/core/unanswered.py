"""What is kept of a message the bot could not place: the words, without who sent them and
without what could identify someone, for organisers to review and label."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"(?:\+?\d[\d ()-]{5,}\d)")
KEPT_CHARACTERS = 1000


def scrub(text: str) -> str:
    """Remove what could identify someone: e-mail addresses, phone, card and account numbers.
    Scrubbing a scrubbed text changes nothing."""
    text = _EMAIL.sub("<email>", text)
    return _LONG_NUMBER.sub("<number>", text)[:KEPT_CHARACTERS]
