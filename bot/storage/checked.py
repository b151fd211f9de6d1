"""Checked messages the users agreed to let the bot keep: stored as the use case scrubbed them
(bot/services/scamcheck.py), one row each, under the user who sent them (for /mydata and
/forget, bot/storage/personal.py); the sender of the original message is never known here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import CheckedMessage
from bot.storage.db import writing
from bot.storage.schema import CheckedMessageRow


class SqlCheckedMessages:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def keep(self, user_id: int, message: CheckedMessage, now: dt.datetime) -> None:
        async with writing(self._sessions) as session:
            session.add(
                CheckedMessageRow(
                    user_id=user_id,
                    text=message.text,
                    language=message.language,
                    verdict=message.verdict,
                    score=message.score,
                    flags=list(message.flags),
                    created_at=now,
                )
            )
