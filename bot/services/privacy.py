"""A user's own data: all of it as one document, and its erasure (every row that refers to
them, in one transaction; see bot/storage/personal.py for the list)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core.unit_of_work import UnitsOfWork


class PrivacyService:
    def __init__(self, units: UnitsOfWork) -> None:
        self.units = units

    async def export(self, user_id: int, now: dt.datetime) -> dict[str, Any]:
        async with self.units() as uow:
            stored = await uow.personal_data.export(user_id)
        return {"exported_at": now.isoformat(), **stored}

    async def erase(self, user_id: int) -> int:
        """The number of rows deleted."""
        async with self.units() as uow:
            deleted = await uow.personal_data.erase(user_id)
            await uow.commit()
        return deleted
