"""Checking what Telegram signed: a Mini App's initData and the Login Widget's fields.

- Mini App (core.telegram.org/bots/webapps, "Validating data received via the Mini App"): the
  data-check-string is every field but `hash` (and `signature`, the third-party Ed25519 one),
  sorted, as key=value lines; the key is HMAC-SHA256 of the bot token keyed with "WebAppData";
  `hash` is the hex HMAC-SHA256 of the data-check-string under that key.
- Login Widget (core.telegram.org/widgets/login, "Checking authorization"): the same string, the
  key is SHA-256 of the bot token.

Either way `auth_date` (Unix seconds) must be recent: a copied URL stops working."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl


class ProofRefused(Exception):
    """The data is not Telegram's, or too old. `reason` is for the log, never for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TelegramUser:
    user_id: int
    language_code: str | None


def data_check_string(fields: Mapping[str, str]) -> str:
    return "\n".join(
        f"{key}={fields[key]}" for key in sorted(fields) if key not in ("hash", "signature")
    )


def mini_app_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def login_widget_key(bot_token: str) -> bytes:
    return hashlib.sha256(bot_token.encode()).digest()


def _check(fields: Mapping[str, str], key: bytes, now: dt.datetime, max_age: dt.timedelta) -> None:
    given = fields.get("hash", "")
    expected = hmac.new(key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ProofRefused("bad signature")
    try:
        signed = dt.datetime.fromtimestamp(int(fields.get("auth_date", "")), dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ProofRefused("no auth_date") from exc
    if signed > now + dt.timedelta(minutes=5):  # clocks differ a little, not by more
        raise ProofRefused("auth_date in the future")
    if now - signed > max_age:
        raise ProofRefused("expired")


def verify_mini_app(
    init_data: str, bot_token: str, now: dt.datetime, max_age: dt.timedelta
) -> TelegramUser:
    """The user a Mini App's initData (the query string Telegram passes) was signed for."""
    if len(init_data) > 8192:
        raise ProofRefused("too long")
    pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=False)
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise ProofRefused("repeated field")
    _check(fields, mini_app_key(bot_token), now, max_age)
    try:
        user = json.loads(fields["user"])
        return TelegramUser(int(user["id"]), user.get("language_code"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProofRefused("no user") from exc


def verify_login_widget(
    fields: Mapping[str, str], bot_token: str, now: dt.datetime, max_age: dt.timedelta
) -> TelegramUser:
    """The user the Login Widget's fields (id, first_name, ..., auth_date, hash) were signed
    for. Every field Telegram sent is signed: the caller passes them all, and only them."""
    _check(fields, login_widget_key(bot_token), now, max_age)
    try:
        return TelegramUser(int(fields["id"]), None)
    except (KeyError, ValueError) as exc:
        raise ProofRefused("no id") from exc
