"""Campaign themes set by organisers (`ecsm-bot campaign theme set`), one per year and language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.storage.db import Store, reading, writing
from bot.storage.schema import CampaignThemeRow


class SqlCampaignThemes:
    def __init__(self, sessions: Store) -> None:
        self._sessions = sessions

    async def get(self, year: int, language: str) -> str | None:
        async with reading(self._sessions, one_statement=True) as session:
            row = await session.get(CampaignThemeRow, (year, language))
            return row.text if row else None

    async def set(self, year: int, language: str, text: str, now: dt.datetime) -> str | None:
        """Store the theme; returns the text it replaced, if any."""
        async with writing(self._sessions) as session:
            row = await session.get(CampaignThemeRow, (year, language))
            if row is None:
                session.add(CampaignThemeRow(year=year, language=language, text=text, set_at=now))
                return None
            previous = row.text
            row.text, row.set_at = text, now
            return previous

    async def all(self) -> list[CampaignThemeRow]:
        async with reading(self._sessions) as session:
            query = select(CampaignThemeRow).order_by(
                CampaignThemeRow.year, CampaignThemeRow.language
            )
            return list(await session.scalars(query))
