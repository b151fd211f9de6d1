"""`ecsm-bot campaign theme set|show`: organisers set this year's campaign theme without a code
change. It is stored in the database, preferred by the bot over data/campaign.yml, and every
change is recorded in the audit log like the other organiser actions."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from typing import TextIO

from bot.bootstrap import open_storage
from bot.content.catalog import load_catalog
from bot.settings import Settings
from bot.storage.campaign import SqlCampaignThemes
from bot.storage.organisers import SqlAudit

MAX_THEME = 300  # the column's size; a theme is half a sentence, not a paragraph
FIRST_YEAR = 2012  # the campaign's pilot year


def theme_problem(year: int, language: str, text: str, languages: list[str]) -> str | None:
    """Why the theme cannot be stored, or None. Themes are plain text, like campaign.yml's."""
    if not FIRST_YEAR <= year <= 2100:
        return f"--year must be between {FIRST_YEAR} and 2100"
    if language not in languages:
        return f"--lang must be one of: {', '.join(languages)}"
    if not text.strip():
        return "the theme is empty"
    if len(text) > MAX_THEME:
        return f"the theme has {len(text)} characters; at most {MAX_THEME}"
    if any(c in text for c in "<>&"):
        return "the theme is plain text: no HTML, no & < >"
    return None


async def set_theme(
    settings: Settings, year: int, language: str, text: str, err: TextIO = sys.stderr
) -> int:
    catalog = load_catalog(settings.data_dir, settings.default_language)
    text = " ".join(text.split())
    problem = theme_problem(year, language, text, list(catalog.languages))
    if problem:
        err.write(f"Theme not stored: {problem}\n")
        return 2
    async with open_storage(settings, catalog) as storage:
        now = dt.datetime.now(dt.UTC)
        sessions = storage.sessions
        previous = await SqlCampaignThemes(sessions).set(year, language, text, now)
        await SqlAudit(sessions).record(
            None,
            "campaign_theme_set",
            {
                "via": "cli",
                "os_user": getpass.getuser(),
                "year": year,
                "language": language,
                "text": text,
                "previous": previous,
            },
            now,
        )
    sys.stdout.write(f"Theme for {year} ({language}) stored.\n")
    return 0


async def show_themes(settings: Settings, year: int | None, out: TextIO = sys.stdout) -> int:
    """The stored themes and, for years without one, what campaign.yml says."""
    catalog = load_catalog(settings.data_dir, settings.default_language)
    async with open_storage(settings, catalog) as storage:
        rows = await SqlCampaignThemes(storage.sessions).all()
    stored = {(r.year, r.language): r.text for r in rows}
    shipped = {
        (y, lang): text
        for y, texts in catalog.campaign.themes.items()
        for lang, text in texts.items()
    }
    years = sorted({y for y, _ in stored} | {y for y, _ in shipped})
    if year is not None:
        years = [year]
    for y in years:
        for lang in catalog.languages:
            if (y, lang) in stored:
                out.write(f"{y}\t{lang}\tdatabase\t{stored[y, lang]}\n")
            elif (y, lang) in shipped:
                out.write(f"{y}\t{lang}\tcampaign.yml\t{shipped[y, lang]}\n")
            else:
                out.write(f"{y}\t{lang}\t-\t(no theme: the bot says it is not announced yet)\n")
    return 0
