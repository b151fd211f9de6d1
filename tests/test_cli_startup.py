"""The organisers' everyday commands start without what only the chat, the dashboard or the
message check runs on: a command imports what it uses when it runs (bot/cli.py, bot/bootstrap.py).
Each command runs in a process of its own, which then lists the heavy modules it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auxil.cli import bot_env
from tests.auxil.environment import ROOT

# What the chat, the dashboard, the message check and the OCR load, and no listed command uses.
HEAVY = (
    "telegram",  # PTB: bot/app.py, the chat
    "sklearn",  # the learned scam scorer
    "simplemma",  # the Latin-typing word lists
    "pytesseract",  # the OCR
    "numpy",
    "PIL",
    "starlette",  # the dashboard
    "jinja2",
    "uvicorn",
    "tldextract",  # the link check
    "bot.app",
    "bot.dialogue.router",
    "bot.ocr.tesseract",
    "bot.web.app",
    "bot.nlu.server",
)

CHILD = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "heavy": [m for m in HEAVY if m in sys.modules]}))
"""


def _run(args: list[str], database_url: str, **env: str) -> tuple[int, list[str], str]:
    child = f"HEAVY = {HEAVY!r}\n{CHILD}"
    done = subprocess.run(
        [sys.executable, "-c", child, *args],
        env=bot_env(database_url, DEFAULT_LANGUAGE="en", **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    *printed, last = done.stdout.strip().splitlines()
    loaded = json.loads(last)
    return loaded["code"], loaded["heavy"], "\n".join(printed)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["alerts", "list"], "No scam alerts."),
        (["organisers", "list"], ""),
        (["campaign", "theme", "show"], ""),
        (["events", "list"], ""),
    ],
)
def test_an_everyday_command_loads_none_of_the_heavy_modules(
    tmp_path: Path, args: list[str], says: str
) -> None:
    code, heavy, printed = _run(args, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert code == 0
    assert says in printed
    assert heavy == []


def test_a_sign_in_link_is_issued_without_the_dashboard(tmp_path: Path) -> None:
    code, heavy, printed = _run(
        ["dashboard", "link", "--user", "42"],
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        ORGANISER_IDS="42",
    )
    assert code == 0
    assert "/login/link?token=" in printed
    assert heavy == []


def test_check_still_loads_what_it_validates(tmp_path: Path) -> None:
    """`check` validates everything, the OCR's languages too, so it does load the OCR."""
    code, heavy, _ = _run(["check"], f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert code == 0
    assert "bot.ocr.tesseract" in heavy
