"""Who is signed in, and what they may do: the session holds the user id (signed, expiring
cookie); their role and regions are read again on every request (request.state.staff), so that
a removed organiser or a changed role takes effect at once."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from bot.core.roles import Staff, check


class NotSignedIn(Exception):
    """The page needs someone signed in (the app answers with the sign-in page)."""


def current_staff(request: Request) -> Staff:
    """The signed-in organiser (NotSignedIn when nobody is, or they are no longer one)."""
    staff: Staff | None = getattr(request.state, "staff", None)
    if staff is None:
        raise NotSignedIn
    return staff


def require(request: Request, permission: str, region: str | None = None) -> Staff:
    """The signed-in organiser, when their role covers `permission` for `region`
    (bot.core.roles.NotAllowed otherwise: the app answers 403)."""
    staff = current_staff(request)
    check(staff, permission, region)
    return staff


def sign_in(request: Request, staff: Staff, now: dt.datetime) -> None:
    """Start a new session for `staff`: nothing of the one before is kept (a new CSRF token
    too), so a session id planted before signing in is worth nothing."""
    request.session.clear()
    request.session.update(
        {"user": staff.user_id, "lang": staff.language, "since": int(now.timestamp())}
    )


def sign_out(request: Request) -> None:
    request.session.clear()
