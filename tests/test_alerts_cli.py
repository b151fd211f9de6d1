"""`ecsm-bot alerts publish [--id]|list|show|edit|retire` run as an organiser would, on SQLite and
PostgreSQL: what it prints comes from data/ui in the default language, and every action is
audited with the operating-system user who ran it; an edit changes what `check-message` matches."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import yaml
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
    # The draft is published by its number; only a draft can be.
    draft_published = run_bot(["alerts", "publish", "--id", "2"], env)
    assert (
        draft_published.stdout == "Published scam alert #2: Fake Econt texts about a delivery fee\n"
    )
    not_draft = run_bot(["alerts", "publish", "--id", "2"], env)
    assert (not_draft.returncode, not_draft.stdout) == (
        1,
        "Scam alert #2 is not a draft: only a draft can be published.\n",
    )

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
        "alert_published",
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


async def test_edit_from_the_command_line_takes_effect_for_the_message_check(
    database_url: str, tmp_path: Path
) -> None:
    env = bot_env(database_url, DEFAULT_LANGUAGE="en")
    alert = tmp_path / "alert.yml"
    alert.write_text(ALERT, encoding="utf-8")
    assert run_bot(["alerts", "publish", "--file", str(alert)], env).returncode == 0

    # `show` prints the alert as a file that `edit --file` takes back.
    shown = run_bot(["alerts", "show", "1"], env)
    assert shown.returncode == 0, shown.stderr
    raw = yaml.safe_load(shown.stdout)
    assert raw["default_language"] == "bg" and raw["source"] == "https://www.cybercrime.bg/bg/news"
    assert raw["texts"]["en"]["examples"] == []
    raw["texts"]["en"]["advice"] = "Do not open the link; check the parcel in Econt's app."
    changed = tmp_path / "changed.yml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    by_file = run_bot(["alerts", "edit", "1", "--file", str(changed)], env)
    assert by_file.returncode == 0, by_file.stderr
    assert by_file.stdout == "Edited scam alert #1: Fake Econt texts about a delivery fee\n"

    # Fields of one language (the main one unless said): the examples are replaced.
    new_number = (
        "Здравей, мамо! Това е новият ми номер, старият телефон падна във водата. "
        "Запиши си го и ми пиши във Вайбър, спешно е."
    )
    by_fields = run_bot(
        ["alerts", "edit", "1", "--example", new_number, "--language", "en", "--title", "New"],
        env,
    )
    assert by_fields.stdout == "Edited scam alert #1: New\n", by_fields.stderr
    after = yaml.safe_load(run_bot(["alerts", "show", "1"], env).stdout)
    assert after["texts"]["en"]["title"] == "New"
    assert after["texts"]["en"]["examples"] == [new_number]
    assert after["texts"]["en"]["advice"] == raw["texts"]["en"]["advice"]
    assert after["texts"]["bg"] == raw["texts"]["bg"]

    # The message check matches the new example at once, typed in Latin letters too.
    latin = (
        "zdravei tate, tova e noviqt mi nomer, stariqt telefon padna vav vodata. "
        "zapishi si go i mi pishi vav viber, spe6no e"
    )
    checked = run_bot(["check-message"], env, stdin=latin + "\n")
    assert checked.returncode == 0, checked.stderr
    (row,) = [json.loads(line) for line in checked.stdout.splitlines()]
    assert row["alert"] is not None and row["alert"]["id"] == 1, row
    assert row["verdict"] == "likely_scam"

    # What cannot be an alert is refused, and nothing changes.
    refused = run_bot(["alerts", "edit", "1", "--source", "cybercrime.bg"], env)
    assert refused.returncode == 2
    assert refused.stdout.startswith("Scam alert #1 was not changed: The source must be")
    assert run_bot(["alerts", "edit", "1"], env).returncode == 2  # nothing to change
    assert run_bot(["alerts", "edit", "9", "--title", "x"], env).stdout == "No scam alert #9.\n"
    assert run_bot(["alerts", "retire", "1"], env).returncode == 0
    gone = run_bot(["alerts", "edit", "1", "--title", "x"], env)
    assert (gone.returncode, gone.stdout) == (
        1,
        "Scam alert #1 is retired and can no longer be changed.\n",
    )

    audit = await _audit(database_url)
    assert [action for action, _ in audit] == [
        "alert_created",
        "alert_published",
        "alert_edited",
        "alert_edited",
        "alert_retired",
    ]
    assert all(d["via"] == "cli" and d["os_user"] == getpass.getuser() for _, d in audit)
