"""Checked messages the users agreed to let the bot keep: stored as the use case scrubbed them
(bot/services/scamcheck.py), one row each, under the user who sent them (for /mydata and
/forget, bot/storage/personal.py); the sender of the original message is never known here.
Kept for CHECKED_RETENTION_DAYS: the tick's purge drops older ones, as it does for unanswered
messages. Keeping one is a use case's unit of work (bot/storage/unit_of_work.py), the purge
the tick's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from bot.core.ports import CheckedMessage
from bot.storage.db import Store, writing
from bot.storage.schema import CheckedMessageRow


class SqlCheckedMessages:
    def __init__(
        self,
        sessions: Store,
        retention: dt.timedelta = dt.timedelta(days=90),
    ) -> None:
        self._sessions = sessions
        self.retention = retention

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

    async def purge(self, now: dt.datetime) -> int:
        """Drop the messages kept longer than the retention; how many went."""
        async with writing(self._sessions) as session:
            result = await session.execute(
                delete(CheckedMessageRow).where(CheckedMessageRow.created_at < now - self.retention)
            )
            return int(getattr(result, "rowcount", 0) or 0)
