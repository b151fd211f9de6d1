"""Running `ecsm-bot` as a person would, in a process of its own, with no Telegram token or
Rasa settings leaking in from the environment the tests run in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.auxil.environment import ROOT, free_port

BOT = str(Path(sys.executable).parent / "ecsm-bot")


def bot_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RASA_"))}
    # A port of its own for the dashboard that `run` serves: 8090 may be taken on the machine.
    env.update(
        DATABASE_URL=database_url, DATA_DIR=str(ROOT / "data"), DASHBOARD_PORT=str(free_port())
    )
    env.update(extra)
    return env


def run_bot(
    args: list[str],
    env: dict[str, str],
    *,
    stdin: str = "",
    cwd: Path = ROOT,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BOT, *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
