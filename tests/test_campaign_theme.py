"""This year's campaign theme: organisers set it from the command line, the bot prefers it over
data/campaign.yml, and a year without one never shows another year's theme."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from dataclasses import replace

from bot.bootstrap import DialoguePorts
from bot.content.catalog import Catalog
from bot.core.messages import Incoming
from bot.dialogue.router import Dialogue
from bot.settings import Settings
from tests.auxil.cli import bot_env, run_bot
from tests.auxil.dialogue import dialogue_on
from tests.auxil.environment import ROOT
from tests.fakes.core import FakeNLU, FixedClock


class MemoryThemes:
    def __init__(self, themes: dict[tuple[int, str], str]) -> None:
        self.themes = themes

    async def get(self, year: int, language: str) -> str | None:
        return self.themes.get((year, language))


async def theme_section(dialogue: Dialogue, catalog: Catalog, language: str) -> str:
    # A user's language is set once, at the first /start: one user per language.
    user = 42 + list(catalog.languages).index(language)
    code = catalog.languages[language].telegram_codes[0]
    await dialogue.handle(Incoming(user, command="start", platform_language=code))
    answer = catalog.answer(language, "ecsm_info")
    assert answer is not None
    index = [s.key for s in answer.sections].index("theme")
    outcome = await dialogue.handle(Incoming(user, callback=f"s:ecsm_info:{index}"))
    return outcome.replies[0].text


async def test_a_year_without_a_theme_never_gets_last_years(
    dialogue: Dialogue, catalog: Catalog, clock: FixedClock
) -> None:
    clock.current = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)
    assert 2026 not in catalog.campaign.themes  # the situation the review found
    for language in catalog.languages:
        text = await theme_section(dialogue, catalog, language)
        for year, themes in catalog.campaign.themes.items():
            assert themes[language] not in text, (language, year)
        assert "2025" not in text, language
        assert "2026" in text, language
        assert "{" not in text, language


async def test_this_years_theme_from_campaign_yml(
    dialogue: Dialogue, catalog: Catalog, clock: FixedClock
) -> None:
    clock.current = dt.datetime(2025, 10, 5, 9, 0, tzinfo=dt.UTC)
    for language in catalog.languages:
        text = await theme_section(dialogue, catalog, language)
        assert catalog.campaign.themes[2025][language] in text, language
        assert "2025" in text, language


async def test_the_organisers_theme_comes_before_campaign_yml(
    catalog: Catalog, clock: FixedClock, nlu: FakeNLU, dialogue_ports: DialoguePorts
) -> None:
    clock.current = dt.datetime(2025, 10, 5, 9, 0, tzinfo=dt.UTC)
    themes = MemoryThemes({(2025, "en"): "passwords & <passkeys>"})
    dialogue = dialogue_on(catalog, replace(dialogue_ports, campaign_themes=themes), nlu, clock)
    text = await theme_section(dialogue, catalog, "en")
    assert "passwords &amp; &lt;passkeys&gt;" in text  # plain text from the database, escaped
    assert catalog.campaign.themes[2025]["en"] not in text
    # Bulgarian users get the English text only when there is no Bulgarian one.
    text = await theme_section(dialogue, catalog, "bg")
    assert catalog.campaign.themes[2025]["bg"] in text


def ecsm_bot(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return run_bot(args, bot_env(database_url))


async def test_campaign_theme_set_and_show_through_the_cli(
    database_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    from bot.bootstrap import bootstrap
    from bot.campaign_admin import set_theme, show_themes
    from bot.storage.organisers import SqlAudit

    settings = Settings(
        _env_file=None,
        DATABASE_URL=database_url,
        DATA_DIR=str(ROOT / "data"),
        RASA_URL="http://127.0.0.1:1",
    )
    # The real command, as organisers type it (one process per command is slow on a busy
    # machine, so the variations below call the same functions in this process).
    theme = "ransomware: how small firms recover"
    result = ecsm_bot(
        ["campaign", "theme", "set", "--year", "2026", "--lang", "en", theme], database_url
    )
    assert result.returncode == 0, result.stderr
    bg_theme = "софтуера за изнудване (рансъмуер) и възстановяването на малките фирми"
    assert await set_theme(settings, 2026, "bg", bg_theme) == 0
    result = ecsm_bot(["campaign", "theme", "show", "--year", "2026"], database_url)
    assert result.returncode == 0, result.stderr
    assert f"2026\ten\tdatabase\t{theme}" in result.stdout
    assert f"2026\tbg\tdatabase\t{bg_theme}" in result.stdout

    # Setting it again replaces it; the audit log keeps every change.
    newer = "ransomware and backups"
    assert await set_theme(settings, 2026, "en", newer) == 0
    shown = io.StringIO()
    assert await show_themes(settings, None, shown) == 0
    assert newer in shown.getvalue() and theme not in shown.getvalue()
    assert "2025\ten\tcampaign.yml\t" in shown.getvalue()

    # Bad input is refused with a reason, and nothing is stored.
    for year, lang, text in (
        (2026, "xx", "text"),
        (2026, "en", "   "),
        (2026, "en", "<b>bold</b>"),
        (2026, "en", "x" * 301),
        (1999, "en", "text"),
    ):
        err = io.StringIO()
        assert await set_theme(settings, year, lang, text, err) == 2
        assert err.getvalue().startswith("Theme not stored: "), (year, lang, text)

    # The bot shows the stored theme in October 2026, in each language.
    clock.current = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)
    async with bootstrap(settings, nlu=FakeNLU(), clock=clock) as services:
        text = await theme_section(services.dialogue, catalog, "en")
        assert f"The 2026 campaign focuses on {newer}." in text
        text = await theme_section(services.dialogue, catalog, "bg")
        assert bg_theme in text
        audit = list(await SqlAudit(services.sessions).entries())
    changes = [e.details for e in audit if e.action == "campaign_theme_set"]
    assert len(changes) == 3
    assert changes[0]["text"] == newer and changes[0]["previous"] == theme
    assert changes[0]["via"] == "cli"
