"""The core and the use cases are pure: they reach storage, Telegram and the network only
through the Protocols of bot.core.ports, so every entrypoint can call them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

# Libraries and modules of the outer layers: none may be loaded by importing the inner ones.
OUTER = ("telegram", "sqlalchemy", "httpx", "starlette", "apscheduler", "uvicorn", "psycopg")
OUTER_BOT = ("bot.storage", "bot.channels", "bot.app", "bot.cli", "bot.operations", "bot.delivery")

PROBE = """
import importlib, json, pkgutil, sys
import bot.core, bot.services
for package in (bot.core, bot.services):
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
print(json.dumps(sorted(sys.modules)))
"""


def test_the_core_and_the_services_load_nothing_of_the_outer_layers() -> None:
    # A fresh interpreter: this one has loaded everything the other tests needed.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    assert "bot.services.events" in loaded
    outer = [
        name
        for name in loaded
        if name.split(".")[0] in OUTER
        or name.startswith(tuple(p + "." for p in OUTER_BOT))
        or name in OUTER_BOT
    ]
    assert outer == []
