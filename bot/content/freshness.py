"""Which facts were last checked too long ago: every `checked:` date in data/, with the file, the
entry it belongs to and its address. A report for organisers (`ecsm-bot check --stale DAYS`),
not a failure: an old date asks for a look at the source, it does not make the bot wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The fields that name an entry, the first found wins: "q07", "essentials/mfa", "day 21".
NAMING_FIELDS = ("id", "day", "key", "topic")


@dataclass(frozen=True, slots=True)
class CheckedSource:
    file: str
    entry: str
    url: str
    checked: dt.date


def checked_sources(data_dir: Path) -> list[CheckedSource]:
    found: list[CheckedSource] = []
    for path in sorted(data_dir.rglob("*.yml")):
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        relative = str(path.relative_to(data_dir.parent))
        found.extend(
            CheckedSource(relative, entry or "(file)", url, checked)
            for entry, url, checked in _walk(tree, "")
        )
    return found


def stale_sources(data_dir: Path, today: dt.date, days: int) -> list[CheckedSource]:
    """Sources whose `checked` date is more than `days` days before `today`, oldest first."""
    limit = today - dt.timedelta(days=days)
    stale = [s for s in checked_sources(data_dir) if s.checked < limit]
    return sorted(stale, key=lambda s: (s.checked, s.file, s.entry))


def _walk(node: Any, entry: str) -> Iterator[tuple[str, str, dt.date]]:
    if isinstance(node, dict):
        if isinstance(node.get("checked"), dt.date):
            yield entry, str(node.get("url", "")), node["checked"]
            return
        name = _name(node)
        here = f"{entry}/{name}" if entry and name else (name or entry)
        for value in node.values():
            yield from _walk(value, here)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, entry)


def _name(node: dict[str, Any]) -> str:
    for field in NAMING_FIELDS:
        if (
            field in node
            and isinstance(node[field], str | int)
            and not isinstance(node[field], bool)
        ):
            return f"day {node[field]}" if field == "day" else str(node[field])
    return ""
