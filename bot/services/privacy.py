"""A user's own data: all of it as one document, and its erasure (every row that refers to
them; see bot/storage/personal.py for the list)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core.ports import PersonalData


class PrivacyService:
    def __init__(self, data: PersonalData) -> None:
        self.data = data

    async def export(self, user_id: int, now: dt.datetime) -> dict[str, Any]:
        stored = await self.data.export(user_id)
        return {"exported_at": now.isoformat(), **stored}

    async def erase(self, user_id: int) -> int:
        """The number of rows deleted."""
        return await self.data.erase(user_id)
