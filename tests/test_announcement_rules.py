"""An announcement's link button: the chat (/announce) and the command line (`ecsm-bot broadcast
--button`) take and refuse the same ones."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bot import operations
from bot.core.messages import Incoming
from bot.dialogue.router import Dialogue
from bot.settings import Settings
from tests.auxil.environment import ORGANISER_ID, ROOT

BUTTONS = [
    ("Join|https://cybersecuritymonth.eu", True),
    (" Join | https://cybersecuritymonth.eu/bg ", True),
    ("J" * 40 + "|https://cybersecuritymonth.eu", True),
    ("J" * 41 + "|https://cybersecuritymonth.eu", False),  # the command line took it
    ("Join|https://x", False),  # the command line took it
    ("Join|https://exa mple.eu", False),  # the command line took it
    ('Join|https://example.eu/"><script>', False),  # the command line took it
    ("Join|http://cybersecuritymonth.eu", False),
    ("|https://cybersecuritymonth.eu", False),
    ("Join", False),
]


async def _chat_takes(dialogue: Dialogue, spec: str) -> bool:
    await dialogue.handle(Incoming(ORGANISER_ID, command="announce"))
    await dialogue.handle(Incoming(ORGANISER_ID, text="A webinar on Thursday"))
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, text=spec))
    await dialogue.handle(Incoming(ORGANISER_ID, command="cancel"))
    refused = dialogue.catalog.plural("en", "ann.bad_button", 40)
    return outcome.replies[0].text != refused


async def _command_line_takes(tmp_path: Path, spec: str) -> bool:
    text = tmp_path / "announcement.html"
    text.write_text("A webinar on Thursday", encoding="utf-8")
    settings = Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        DATA_DIR=str(ROOT / "data"),
    )
    code = await operations.broadcast(
        settings,
        text,
        "",
        spec,
        None,
        "Europe/Sofia",
        dry_run=True,
        wait=False,
        console=Console(file=io.StringIO()),
    )
    assert code in (0, 2)
    return code == 0


@pytest.mark.parametrize(("spec", "taken"), BUTTONS)
async def test_chat_and_command_line_take_the_same_buttons(
    dialogue: Dialogue, tmp_path: Path, spec: str, taken: bool
) -> None:
    assert await _chat_takes(dialogue, spec) is taken
    assert await _command_line_takes(tmp_path, spec) is taken
