# ruff: noqa: E501 - CSV rows are data, kept one per line
"""The organisers' command-line tools as an organiser runs them: real processes, real SQLite."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from bot.content.catalog import Catalog
from tests.auxil.cli import bot_env, run_bot

GOOD_CSV = """key,title_en,title_bg,description_en,description_bg,start,end,timezone,place,online_url,region,country,audience,organiser,link
cli-webinar,Phishing webinar,Уебинар за фишинга,How to spot it,Как да го разпознаем,2030-10-07 18:00,2030-10-07 19:00,Europe/Sofia,,https://cybersecuritymonth.eu,online,BG,all,CERT,
cli-talk,Scams talk,Беседа за измамите,For seniors,За възрастни хора,2030-10-08 10:00,2030-10-08 11:00,Europe/Sofia,Plovdiv library,,plovdiv,BG,citizen,Library,
"""
BAD_CSV = GOOD_CSV + (
    "cli-past,Old,Старо,Past event,Минало събитие,2020-01-01 10:00,2020-01-01 11:00,"
    "Europe/Sofia,Sofia,,sofia_city,BG,all,X,\n"
    "cli-zone,Zone,Зона,Bad zone,Грешна зона,2030-10-09 10:00,2030-10-09 11:00,"
    "Mars/Olympus,Sofia,,sofia_city,BG,all,X,\n"
)


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = bot_env(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    return run_bot(list(args), env, stdin=stdin, cwd=tmp_path)


def test_events_import_is_all_or_nothing_and_lists_every_bad_row(
    tmp_path: Path, catalog: Catalog
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    result = run(tmp_path, "events", "import", str(bad))
    assert result.returncode == 1
    assert catalog.plural("en", "cli.import.bad_rows", 2, path=bad) in result.stdout
    assert "row 3: The start is in the past." in result.stdout
    assert "row 4: Mars/Olympus is not a time zone I know." in result.stdout
    # In Bulgarian with --lang bg, every line.
    result = run(tmp_path, "events", "import", str(bad), "--lang", "bg")
    assert result.returncode == 1
    assert catalog.plural("bg", "cli.import.bad_rows", 2, path=bad) in result.stdout
    assert "ред 3: " + catalog.text("bg", "event.problem.start_in_past") in result.stdout
    assert "ред 4: Не познавам часовата зона Mars/Olympus" in result.stdout
    assert "row" not in result.stdout
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    assert (
        catalog.plural("en", "cli.import.would_import", 2, path=good)
        in run(tmp_path, "events", "import", str(good), "--dry-run").stdout
    )
    result = run(tmp_path, "events", "import", str(good))
    assert result.returncode == 0
    assert catalog.plural("en", "cli.import.imported", 2, path=good) in result.stdout
    listing = run(tmp_path, "events", "list").stdout
    assert "Phishing webinar" in listing and "Scams talk" in listing
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        actions = [row[0] for row in db.execute("select action from audit_log")]
    assert actions.count("event_imported") == 2


def test_broadcast_dry_run_refusals_and_queueing(tmp_path: Path, catalog: Catalog) -> None:
    run(tmp_path, "migrate")
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.executemany(
            "insert into users (id, language, first_seen, last_seen) values (?, ?, ?, ?)",
            [
                (u, "bg" if u % 2 else "en", "2026-10-01 08:00:00", "2026-10-01 08:00:00")
                for u in range(1, 11)
            ],
        )
    text = tmp_path / "announcement.html"
    text.write_text("<b>Уебинар</b> в четвъртък", encoding="utf-8")
    result = run(
        tmp_path, "broadcast", "--text-file", str(text), "--audience", "language=bg", "--dry-run"
    )
    assert result.returncode == 0 and "audience: 5 people" in result.stdout
    broken = tmp_path / "broken.html"
    broken.write_text("<b>Уебинар</i>", encoding="utf-8")
    result = run(tmp_path, "broadcast", "--text-file", str(broken))
    assert result.returncode == 2 and "Refused" in result.stderr
    result = run(tmp_path, "broadcast", "--text-file", "-", stdin="x" * 5000)
    assert result.returncode == 2
    assert catalog.plural("en", "cli.broadcast.text_length", 4096) in result.stderr
    result = run(tmp_path, "broadcast", "--text-file", str(text), "--audience", "region=atlantis")
    assert result.returncode == 2 and "unknown region" in result.stderr
    result = run(
        tmp_path,
        "broadcast",
        "--text-file",
        str(text),
        "--button",
        "Join|https://cybersecuritymonth.eu",
    )
    assert result.returncode == 0, result.stderr
    assert "queued for 10 people" in result.stdout
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        queued = db.execute("select count(*) from outbox where kind = 'announcement'").fetchone()[0]
        audit = db.execute(
            "select count(*) from audit_log where action = 'broadcast_created'"
        ).fetchone()[0]
    assert (queued, audit) == (10, 1)


def test_the_tools_speak_the_language_asked_for_and_count_in_words(
    tmp_path: Path, catalog: Catalog
) -> None:
    run(tmp_path, "migrate")
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute(
            "insert into users (id, language, first_seen, last_seen) values (?, ?, ?, ?)",
            (1, "bg", "2026-10-01 08:00:00", "2026-10-01 08:00:00"),
        )
    text = tmp_path / "announcement.html"
    text.write_text("Уебинар в четвъртък", encoding="utf-8")
    cast = ("broadcast", "--text-file", str(text), "--dry-run")
    # One person, not "1 people": the form CLDR gives the number, in either language.
    result = run(tmp_path, *cast)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == catalog.plural("en", "cli.broadcast.audience", 1)
    result = run(tmp_path, *cast, "--lang", "bg")
    assert result.stdout.strip() == catalog.plural("bg", "cli.broadcast.audience", 1)
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    result = run(tmp_path, "events", "import", str(good), "--dry-run", "--lang", "bg")
    assert result.stdout.strip() == catalog.plural("bg", "cli.import.would_import", 2, path=good)
    # A language data/ does not have is refused in the default language, naming those it has.
    result = run(tmp_path, "events", "list", "--lang", "xx")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == catalog.text(
        "en", "cli.language_unknown", languages=", ".join(catalog.languages)
    )
