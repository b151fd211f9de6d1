"""Signing in to the dashboard, whichever way (a one-time link from `ecsm-bot dashboard link`,
Telegram's Mini App initData, Telegram's Login Widget): the proof is checked by the entrypoint,
the person is looked up here, and the sign-in is written to the audit log. A one-time link's
token is given out once; only its SHA-256 is stored, and it works once, for a few minutes."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from bot.core.ports import Audit, SignInLinks
from bot.core.roles import NotAllowed, Staff
from bot.services.organisers import OrganiserService


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInService:
    def __init__(
        self,
        organisers: OrganiserService,
        links: SignInLinks,
        audit: Audit,
        link_lifetime: dt.timedelta,
    ) -> None:
        self.organisers = organisers
        self.links = links
        self.audit = audit
        self.link_lifetime = link_lifetime

    async def issue_link(self, user_id: int, now: dt.datetime, by: str = "cli") -> str:
        """A new one-time token for `user_id`; NotAllowed when they are no organiser."""
        if await self.organisers.staff_of(user_id) is None:
            raise NotAllowed("dashboard.sign_in")
        token = secrets.token_urlsafe(32)
        await self.links.issue(token_hash(token), user_id, now + self.link_lifetime, now)
        await self.audit.record(None, "dashboard_link", {"via": by, "user_id": user_id}, now)
        return token

    async def redeem_link(self, token: str, language: str, now: dt.datetime) -> Staff | None:
        """Who the link signs in (used up now); None when it is unknown, used or expired, or
        they are no longer an organiser."""
        if not token or len(token) > 100:
            return None
        user_id = await self.links.redeem(token_hash(token), now)
        if user_id is None:
            return None
        return await self.signed_in(user_id, "link", language, now)

    async def signed_in(
        self, user_id: int, how: str, language: str, now: dt.datetime
    ) -> Staff | None:
        """`user_id` proved who they are (`how`): their role, and an audit entry; None when
        they are no organiser (nothing is written then)."""
        staff = await self.organisers.staff_of(user_id, language)
        if staff is not None:
            await self.audit.record(user_id, "dashboard_sign_in", {"via": how}, now)
        return staff
