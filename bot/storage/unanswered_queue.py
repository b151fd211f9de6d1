"""The latest unanswered messages for the dashboard (bot.services.unanswered_groups): one
range of the created_at index, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.unanswered_groups import StoredMessage
from bot.storage.db import reading
from bot.storage.schema import UnansweredMessage


class SqlRecentUnanswered:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def recent(self, limit: int, language: str | None) -> list[StoredMessage]:
        row = UnansweredMessage
        query = (
            select(row.text, row.language, row.best_guess, row.created_at)
            .order_by(row.created_at.desc())
            .limit(limit)
        )
        if language:
            query = query.where(row.language == language)
        async with reading(self._sessions) as session:
            return [
                StoredMessage(text, lang, guess, at)
                for text, lang, guess, at in (await session.execute(query)).all()
            ]
