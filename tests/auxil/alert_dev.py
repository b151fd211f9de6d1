"""The dev examples of scam-alert matching (alert_dev.yml), for the tests and the benchmark that
chose the measure and its threshold (bench/alert_matching.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.alerts import AlertContent, AlertStatus, ScamAlert

DEV_FILE = Path(__file__).with_name("alert_dev.yml")
PUBLISHED = dt.date(2026, 11, 20)


@dataclass(frozen=True, slots=True)
class Wave:
    name: str
    examples: tuple[str, ...]
    variants: tuple[str, ...]
    # Copies typed in Latin letters (Bulgarian waves), matched as the bot reads them.
    latin: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DevSet:
    waves: tuple[Wave, ...]
    unrelated: tuple[str, ...]
    unrelated_latin: tuple[str, ...] = ()

    def alerts(self) -> list[ScamAlert]:
        """Each wave as a published alert, ids from 1 in file order; the language is the
        wave name's suffix."""
        alerts = []
        for number, wave in enumerate(self.waves, start=1):
            language = wave.name.rsplit("_", 1)[-1]
            content = AlertContent(wave.name, "looks", "advice", wave.examples)
            alerts.append(
                ScamAlert(
                    number,
                    {language: content},
                    language,
                    status=AlertStatus.PUBLISHED,
                    published=PUBLISHED,
                )
            )
        return alerts


def load_dev_set(path: Path = DEV_FILE) -> DevSet:
    """The dev examples, or another set in their shape (bench/data/alert_eval.yml)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    latin = raw.get("latin") or {}
    waves = tuple(
        Wave(name, tuple(wave["examples"]), tuple(wave["variants"]), tuple(latin.get(name, ())))
        for name, wave in raw["waves"].items()
    )
    return DevSet(waves, tuple(raw["unrelated"]), tuple(raw.get("unrelated_latin") or ()))
