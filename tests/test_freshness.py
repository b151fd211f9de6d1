"""`ecsm-bot check --stale DAYS`: the organisers' report of facts checked too long ago."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from bot.content.catalog import Catalog
from bot.content.freshness import checked_sources, stale_sources
from tests.auxil.cli import bot_env, run_bot
from tests.auxil.environment import ROOT


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_stale_sources_name_file_entry_url_and_date(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(
        data / "quiz" / "en.yml",
        "questions:\n"
        "  - id: q01\n    topic: smishing\n    sources:\n"
        "      - {url: https://old.example, title: Old, checked: 2025-01-10}\n"
        "      - {url: https://new.example, title: New, checked: 2026-12-01}\n",
    )
    write(
        data / "checklists" / "en" / "nis2.yml",
        "id: nis2\nitems:\n  - key: mfa\n    sources:\n"
        "      - {url: https://mid.example, title: Mid, checked: 2026-06-01}\n",
    )
    write(
        data / "tips" / "en" / "citizen.yml",
        "tips:\n  - day: 21\n    sources:\n"
        "      - {url: https://tip.example, title: Tip, checked: 2024-10-21}\n",
    )
    today = dt.date(2026, 12, 6)

    stale = stale_sources(data, today, 90)
    assert [(s.file, s.entry, s.url, s.checked.isoformat()) for s in stale] == [
        ("data/tips/en/citizen.yml", "day 21", "https://tip.example", "2024-10-21"),
        ("data/quiz/en.yml", "q01", "https://old.example", "2025-01-10"),
        ("data/checklists/en/nis2.yml", "nis2/mfa", "https://mid.example", "2026-06-01"),
    ]
    # The limit is "more than DAYS days old": a source checked exactly DAYS ago is not stale.
    assert [s.url for s in stale_sources(data, today, 5)][-1] == "https://mid.example"
    assert "https://new.example" in [s.url for s in stale_sources(data, today, 4)]
    assert stale_sources(data, today, 10_000) == []


def test_every_source_in_data_has_a_date_not_in_the_future() -> None:
    sources = checked_sources(ROOT / "data")
    assert len(sources) > 500
    assert all(s.checked <= dt.date.today() for s in sources)
    assert all(s.url.startswith(("https://", "http://")) for s in sources), [
        s for s in sources if not s.url.startswith("http")
    ]


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return run_bot(["check", *args], bot_env("sqlite:///unused.sqlite3"))


def test_check_stale_lists_old_sources_and_exits_0(catalog: Catalog) -> None:
    oldest = min(s.checked for s in checked_sources(ROOT / "data"))
    age = (dt.date.today() - oldest).days
    result = run_check("--stale", str(age - 1))
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines() if "\t" in line]
    assert rows and all(len(row) == 4 for row in rows)
    assert all(dt.date.fromisoformat(row[3]) == oldest for row in rows)
    assert all(row[0].startswith("data/") and row[2].startswith("http") for row in rows)
    assert catalog.plural("en", "cli.stale.sources", len(rows)) in result.stdout.splitlines()[-1]

    result = run_check("--stale", str(age + 1))
    assert result.returncode == 0, result.stderr
    # The first line says whether screenshots can be read (OCR on or off).
    assert result.stdout.splitlines()[1:] == [
        catalog.text(
            "en",
            "cli.stale.summary",
            sources=catalog.plural("en", "cli.stale.sources", 0),
            days=catalog.plural("en", "cli.stale.days", age + 1),
            date=dt.date.today().isoformat(),
        )
    ]
