"""Which tip belongs to a day, and how it reads, for pushes and for /tip alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_date

from bot.content.catalog import Catalog
from bot.content.models import Tip
from bot.core import callbacks
from bot.core.messages import Button, Reply
from bot.core.schedule import Window, tip_day


@dataclass(frozen=True)
class TipsPolicy:
    """The operator's choices: a fixed campaign window (else data/campaign.yml's for each year),
    and whether tips also go out outside it."""

    window: Window | None = None
    off_season: bool = False

    def window_for(self, catalog: Catalog, year: int) -> Window:
        if self.window is not None:
            return self.window
        w = catalog.campaign.window
        return Window(
            dt.date(year, w.start_month, w.start_day), dt.date(year, w.end_month, w.end_day)
        )

    def sends_on(self, catalog: Catalog, day: dt.date) -> bool:
        return self.off_season or day in self.window_for(catalog, day.year)


def tip_for(
    catalog: Catalog, policy: TipsPolicy, language: str, audience: str, day: dt.date
) -> Tip:
    tips = catalog.tips[language][audience]
    return tips[tip_day(day, policy.window_for(catalog, day.year), len(tips)) - 1]


def tip_reply(catalog: Catalog, language: str, tip: Tip, day: dt.date) -> Reply:
    locale = catalog.languages[language].babel_locale
    header = catalog.text(
        language, "tip.header", date=format_date(day, format="d MMMM", locale=locale)
    )
    buttons = (
        (Button(catalog.text(language, "tip.learn_more"), data=callbacks.encode("t", tip.topic)),),
        (Button(catalog.text(language, "tip.stop"), data="uo"),),
    )
    return Reply(f"{header}\n\n{tip.text}", buttons=buttons)
