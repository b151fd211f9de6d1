"""This year's campaign theme. The organisers' choice stored in the database comes before
data/campaign.yml, and a year without a theme gets no theme at all: another year's theme
presented as this year's would be wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class CampaignThemes(Protocol):
    async def get(self, year: int, language: str) -> str | None: ...


class NoStoredThemes:
    """For a bot without a database of its own (tests, tools): campaign.yml only."""

    async def get(self, year: int, language: str) -> str | None:
        return None


async def theme_for(
    year: int,
    language: str,
    default_language: str,
    stored: CampaignThemes,
    shipped: Mapping[int, Mapping[str, str]],
) -> str | None:
    """The theme of `year` in `language`, else in the default language; None if it has none."""
    for lang in dict.fromkeys((language, default_language)):
        text = await stored.get(year, lang) or shipped.get(year, {}).get(lang)
        if text:
            return text
    return None
