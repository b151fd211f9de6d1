"""The core and the use cases are pure: they reach storage, Telegram and the network only
through the Protocols of bot.core.ports, so every entrypoint can call them.

`lint-imports` (in `make lint`) checks the same rules on the source, statically; this test checks
what a fresh interpreter actually loads, which the contracts cannot see: a module loaded through
a third-party package (import-linter stops at the first external one) or by importlib. The
forbidden lists are read from the contracts in pyproject.toml, so the two cannot drift apart."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from typing import Any

from tests.auxil.environment import ROOT

PROBE = """
import importlib, json, pkgutil, sys
import bot.core, bot.dialogue, bot.features, bot.services
for package in (bot.core, bot.services, bot.features, bot.dialogue):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def forbidden(contract_id: str) -> tuple[str, ...]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = (c for c in contracts if c["id"] == contract_id)
    assert sorted(contract["source_modules"]) == [
        "bot.core",
        "bot.dialogue",
        "bot.features",
        "bot.services",
    ]
    return tuple(contract["forbidden_modules"])


def test_the_core_and_the_services_load_nothing_of_the_outer_layers() -> None:
    libraries = forbidden("pure-core")
    outer_bot = forbidden("core-without-adapters")
    assert {"telegram", "sqlalchemy", "httpx", "starlette", "apscheduler"} <= set(libraries)
    assert {"bot.storage", "bot.channels", "bot.delivery"} <= set(outer_bot)
    # A fresh interpreter: this one has loaded everything the other tests needed.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    assert "bot.services.events" in loaded
    outer = [
        name
        for name in loaded
        if name.split(".")[0] in libraries
        or name in outer_bot
        or name.startswith(tuple(p + "." for p in outer_bot))
    ]
    assert outer == []
