"""The events shipped in data/events/*.yml (samples included), read and checked like an import:
a bad file stops the start, like any other content."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.content.catalog import Catalog, ContentError
from bot.core.events import EventDraft
from bot.events.importer import read_events


class ShippedEventFiles:
    def __init__(self, where: Path, catalog: Catalog) -> None:
        self.where = where
        self.catalog = catalog

    async def drafts(self, checked_as_of: dt.datetime) -> list[EventDraft]:
        """Every event of every file, checked as of `checked_as_of`; ContentError names the
        file and what is wrong when one is bad."""
        paths = sorted(await asyncio.to_thread(lambda: list(self.where.glob("*.yml"))))
        languages, regions = list(self.catalog.languages), self.catalog.regions
        drafts: list[EventDraft] = []
        for path in paths:
            result = read_events(path, languages, checked_as_of, regions)
            if not result.ok:
                reasons = "; ".join(f"{e.where}: {', '.join(e.reasons)}" for e in result.errors)
                raise ContentError(f"{path}: {reasons}")
            drafts.extend(result.drafts)
        return drafts
