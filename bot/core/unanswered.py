"""What is kept of a message the bot could not place, or of a message a user let the bot keep
after checking it: the words, without who sent them and without what could identify someone or
open an account (e-mail addresses, IBANs, phone, card and account numbers, one-time codes)."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# An IBAN as written on paper or typed: two letters, two check digits, then groups of letters and
# digits (BG80 BNBG 9661 1020 3456 78).
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"(?:\+?\d[\d ()-]{5,}\d)")
# A code after the word that names it ("code: AB12CD", "код 5521", "PIN 1234"), and any run of
# four to six digits left on its own, the length of one-time codes and PINs.
_NAMED_CODE = re.compile(
    r"\b(code|codes|pin|otp|password|код|кода|кодът|пин|парола)\b([^\w<]{0,3})(?=[A-Z-]*\d)[A-Z0-9-]{3,12}\b",
    re.IGNORECASE,
)
_SHORT_CODE = re.compile(r"(?<![\d.,])\b[A-Z]?-?\d{4,6}\b(?![.,]\d)", re.IGNORECASE)
KEPT_CHARACTERS = 1000


def scrub(text: str) -> str:
    """Remove what could identify someone: e-mail addresses, IBANs, phone, card and account
    numbers, and codes. Scrubbing a scrubbed text changes nothing."""
    text = _EMAIL.sub("<email>", text)
    text = _IBAN.sub("<iban>", text)
    text = _LONG_NUMBER.sub("<number>", text)
    text = _NAMED_CODE.sub(r"\1\2<code>", text)
    return _SHORT_CODE.sub("<code>", text)[:KEPT_CHARACTERS]
