"""The organisers' everyday commands start without what only the chat, the dashboard or the
message check runs on: a command imports what it uses when it runs (bot/cli.py, bot/bootstrap.py).
Each command runs in a process of its own, which then lists the heavy modules it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.storage.db import MIGRATIONS, migrate, script_heads
from tests.auxil.cli import bot_env
from tests.auxil.environment import ROOT
from tests.auxil.schema import migrated_sqlite

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


def test_a_command_on_a_migrated_database_does_not_load_alembic(tmp_path: Path) -> None:
    """Every command checks the migrations first; on a database at the scripts' heads that is
    one read of alembic_version, without importing alembic (a fifth of a command's start)."""
    url = migrated_sqlite(tmp_path / "bot.db")
    child = f"HEAVY = {('alembic',)!r}\n{CHILD}"
    done = subprocess.run(
        [sys.executable, "-c", child, "alerts", "list"],
        env=bot_env(url, DEFAULT_LANGUAGE="en"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 0, "heavy": []}


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert script_heads() == frozenset(ScriptDirectory.from_config(config).get_heads())


def test_a_database_behind_the_heads_is_still_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    migrate(url, "0010")
    migrate(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("select version_num from alembic_version"))
            assert frozenset(stored.scalars()) == script_heads()
    finally:
        engine.dispose()
