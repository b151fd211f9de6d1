"""One-time dashboard sign-in links on SQLAlchemy (the SignInLinks port)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update

from bot.storage.db import Store, writing
from bot.storage.schema import SignInLinkRow


class SqlSignInLinks:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def issue(
        self, token_hash: str, user_id: int, expires: dt.datetime, now: dt.datetime
    ) -> None:
        async with writing(self._sessions) as session:
            # Links expired a day ago are of no use, even to show that they were used.
            await session.execute(
                delete(SignInLinkRow).where(SignInLinkRow.expires_at < now - dt.timedelta(days=1))
            )
            session.add(
                SignInLinkRow(
                    token_hash=token_hash, user_id=user_id, expires_at=expires, created_at=now
                )
            )

    async def redeem(self, token_hash: str, now: dt.datetime) -> int | None:
        # One conditional UPDATE: of two requests with the same link, only one finds it unused.
        async with writing(self._sessions) as session:
            user_id = await session.scalar(
                update(SignInLinkRow)
                .where(
                    SignInLinkRow.token_hash == token_hash,
                    SignInLinkRow.used_at.is_(None),
                    SignInLinkRow.expires_at > now,
                )
                .values(used_at=now)
                .returning(SignInLinkRow.user_id)
            )
        return None if user_id is None else int(user_id)
