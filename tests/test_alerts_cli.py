"""`ecsm-bot alerts publish|list|retire` run as an organiser would, on SQLite and PostgreSQL:
what it prints comes from data/ui in the default language, and every action is audited with
the operating-system user who ran it."""

from __future__ import annotations

import getpass
from pathlib import Path

from sqlalchemy import select

from bot.storage.db import make_engine
from bot.storage.schema import AuditEntry
from tests.auxil.cli import bot_env, run_bot

ALERT = """\
default_language: bg
source: https://www.cybercrime.bg/bg/news
texts:
  bg:
    title: Фалшиви SMS от името на Еконт
    looks_like: SMS за неплатена такса за доставка с линк към сайт, който не е на Еконт.
    advice: Не отваряйте линка. Проверете пратката си в econt.com или в приложението.
    examples:
      - "Еконт: Вашата пратка не може да бъде доставена. Платете 1,20 лв. на https://x.top"
  en:
    title: Fake Econt texts about a delivery fee
    looks_like: A text about an unpaid delivery fee with a link to a site that is not Econt's.
    advice: Do not open the link. Check your parcel on econt.com or in the app.
"""


async def _audit(database_url: str) -> list[tuple[str, dict[str, object]]]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(AuditEntry.action, AuditEntry.details).order_by(AuditEntry.id)
            )
            return [(str(row.action), {**row.details}) for row in rows]
    finally:
        await engine.dispose()


async def test_publish_list_and_retire_from_the_command_line(
    database_url: str, tmp_path: Path
) -> None:
    env = bot_env(database_url, DEFAULT_LANGUAGE="en")
    alert = tmp_path / "alert.yml"
    alert.write_text(ALERT, encoding="utf-8")

    published = run_bot(["alerts", "publish", "--file", str(alert)], env)
    assert published.returncode == 0, published.stderr
    assert published.stdout == "Published scam alert #1: Fake Econt texts about a delivery fee\n"
    drafted = run_bot(["alerts", "publish", "--file", str(alert), "--draft"], env)
    assert drafted.stdout.startswith("Saved scam alert #2 as a draft"), drafted.stderr

    listed = run_bot(["alerts", "list"], env)
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("#2 · draft · — · Fake Econt texts")
    assert lines[1].startswith("#1 · published · ")
    assert lines[1].endswith("· Fake Econt texts about a delivery fee · matched 0×")

    retired = run_bot(["alerts", "retire", "1"], env)
    assert retired.returncode == 0, retired.stderr
    assert retired.stdout == "Retired scam alert #1: Fake Econt texts about a delivery fee\n"
    missing = run_bot(["alerts", "retire", "9"], env)
    assert (missing.returncode, missing.stdout) == (1, "No scam alert #9.\n")

    # The commands run in processes of their own; only this read is on the test's event loop.
    audit = await _audit(database_url)
    assert [action for action, _ in audit] == [
        "alert_created",
        "alert_published",
        "alert_created",
        "alert_retired",
    ]
    assert all(d["via"] == "cli" and d["os_user"] == getpass.getuser() for _, d in audit)


async def test_a_bad_file_is_refused_in_the_default_language_and_nothing_is_stored(
    database_url: str, tmp_path: Path
) -> None:
    env = bot_env(database_url, DEFAULT_LANGUAGE="bg")
    no_title = tmp_path / "no_title.yml"
    no_title.write_text(ALERT.replace("title: Фалшиви SMS от името на Еконт", "title: ''"))
    refused = run_bot(["alerts", "publish", "--file", str(no_title)], env)
    assert refused.returncode == 2
    assert refused.stdout == f"{no_title}: Липсва заглавие (bg).\n"
    shapeless = tmp_path / "list.yml"
    shapeless.write_text("- just\n- a list\n")
    refused = run_bot(["alerts", "publish", "--file", str(shapeless)], env)
    assert refused.returncode == 2 and "Това не е файл с предупреждение" in refused.stdout
    assert run_bot(["alerts", "list"], env).stdout == "Няма предупреждения за измами.\n"
