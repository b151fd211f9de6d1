"""What protects every page: security headers, the CSRF token of every form and the rate limit
on sign-in attempts."""

from __future__ import annotations

import collections
import datetime as dt
import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Telegram's own web clients (web.telegram.org/k, /a) open a Mini App in a frame.
TELEGRAM_FRAMERS = "https://web.telegram.org https://*.telegram.org"
# The Login Widget is Telegram's script and frame (on the sign-in page only).
WIDGET_SCRIPT = "https://telegram.org"
WIDGET_FRAME = "https://oauth.telegram.org"


def content_security_policy(widget: bool) -> str:
    script = "'self'" + (f" {WIDGET_SCRIPT}" if widget else "")
    frame = WIDGET_FRAME if widget else "'none'"
    return (
        "default-src 'self'; "
        f"script-src {script}; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        f"frame-src {frame}; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors 'self' {TELEGRAM_FRAMERS}"
    )


class SecurityHeaders:
    """Adds the headers to every response; a page that shows the Login Widget sets
    `scope["state"]["widget"]` (request.state.widget) to allow Telegram's script and frame."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                headers = list(message.get("headers", []))
                policy = content_security_policy(bool(state.get("widget")))
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin-allow-popups"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if not any(name == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


class CsrfRefused(Exception):
    """A form came without the session's CSRF token."""


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token for its forms (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token matched the session's; CsrfRefused otherwise."""
    form = await request.form()
    given = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not (
        isinstance(given, str)
        and isinstance(expected, str)
        and hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise CsrfRefused
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


class TooManyAttempts(Exception):
    """A client tried to sign in too often."""


class AttemptLimit:
    """At most `attempts` sign-in attempts per client address in `window` (this process's
    count: with several replicas each counts its own)."""

    def __init__(self, attempts: int, window: dt.timedelta = dt.timedelta(minutes=5)) -> None:
        self.attempts = attempts
        self.window = window
        self._seen: dict[str, collections.deque[dt.datetime]] = {}

    def hit(self, client: str, now: dt.datetime) -> None:
        """Count an attempt; TooManyAttempts when over the limit."""
        if len(self._seen) > 10_000:  # forget quiet clients, so the table stays small
            self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < self.window}
        times = self._seen.setdefault(client, collections.deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.attempts:
            raise TooManyAttempts
        times.append(now)
