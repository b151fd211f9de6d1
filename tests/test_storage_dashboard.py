"""The dashboard's storage on real SQLite and PostgreSQL: roles with regions, one-time sign-in
links (once, until they expire), the audit log's filters; and the whole path as an organiser
takes it: `ecsm-bot organisers add` and `ecsm-bot dashboard link` on the command line, then
signing in with that link to the dashboard built by bootstrap on the same database."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

from starlette.testclient import TestClient

from bot.bootstrap import dashboard_services
from bot.content.catalog import load_catalog
from bot.core.ports import AuditQuery
from bot.services.sign_in import token_hash
from bot.settings import Settings
from bot.storage.access import database_for
from bot.storage.db import make_engine
from bot.storage.organisers import SqlAudit, SqlRoles
from bot.storage.sign_in import SqlSignInLinks
from bot.web.app import create_dashboard
from tests.auxil.cli import bot_env, run_bot
from tests.auxil.environment import ROOT
from tests.auxil.run import run_sync
from tests.auxil.schema import migrated
from tests.fakes.core import FixedClock

NOW = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)


async def test_roles_links_and_audit_search(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        database = database_for(engine)
        roles, links, audit = SqlRoles(database), SqlSignInLinks(database), SqlAudit(database)
        assert await roles.add_organiser(5, 1, NOW)  # added before roles existed: organiser
        five = await roles.staff_member(5)
        assert five is not None and (five.role, five.regions) == ("organiser", frozenset())
        assert await roles.set_staff(6, "organiser", frozenset({"varna", "ruse"}), 1, NOW)
        assert not await roles.set_staff(6, "organiser", frozenset({"ruse", "varna"}), 1, NOW)
        assert await roles.set_staff(6, "viewer", frozenset(), 1, NOW)
        assert [(r.user_id, r.role) for r in await roles.staff()] == [
            (5, "organiser"),
            (6, "viewer"),
        ]

        await links.issue(token_hash("t1"), 5, NOW + dt.timedelta(minutes=10), NOW)
        await links.issue(token_hash("t2"), 6, NOW + dt.timedelta(minutes=10), NOW)
        results = await asyncio.gather(*(links.redeem(token_hash("t1"), NOW) for _ in range(3)))
        assert sorted(results, key=str) == [5, None, None]  # once, however many ask at once
        assert await links.redeem(token_hash("t2"), NOW + dt.timedelta(minutes=11)) is None
        assert await links.redeem(token_hash("nope"), NOW) is None

        for day in range(5):
            await audit.record(
                5 if day % 2 else None, f"a{day % 2}", {"d": day}, NOW - dt.timedelta(days=day)
            )
        page, total = await audit.search(AuditQuery(actor=5))
        assert total == 2 and [e.details["d"] for e in page] == [3, 1]  # newest first
        page, total = await audit.search(
            AuditQuery(since=NOW - dt.timedelta(days=2), until=NOW, limit=1, offset=1)
        )
        assert total == 2 and page[0].details["d"] == 1
        assert await audit.actions() == ["a0", "a1"]
    finally:
        await engine.dispose()


def test_command_line_link_signs_in_to_the_dashboard(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env = bot_env(url, ORGANISER_IDS="1", DASHBOARD_PORT="8123")
    added = run_bot(
        ["organisers", "add", "42", "--role", "organiser", "--region", "varna"], env, cwd=tmp_path
    )
    assert added.returncode == 0, added.stderr
    assert "42: organiser, varna" in added.stdout
    bad = run_bot(["organisers", "add", "43", "--region", "atlantis"], env, cwd=tmp_path)
    assert bad.returncode == 2 and "atlantis" in bad.stderr
    listed = run_bot(["organisers", "list"], env, cwd=tmp_path)
    assert "1\tadmin" in listed.stdout and "42\torganiser\tvarna" in listed.stdout
    stranger = run_bot(["dashboard", "link", "--user", "99"], env, cwd=tmp_path)
    assert stranger.returncode == 1 and "not an organiser" in stranger.stderr
    printed = run_bot(["dashboard", "link", "--user", "42"], env, cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    link = printed.stdout.strip()
    assert link.startswith("http://127.0.0.1:8123/login/link?token=")
    token = link.split("token=", 1)[1]

    async def build() -> TestClient:
        settings = Settings(
            _env_file=None, DATABASE_URL=url, DATA_DIR=str(ROOT / "data"), ORGANISER_IDS="1"
        )
        catalog = load_catalog(settings.data_dir, "en")
        engine = make_engine(url)
        services = dashboard_services(
            settings, catalog, database_for(engine), FixedClock(dt.datetime.now(dt.UTC))
        )
        return TestClient(
            create_dashboard(services, settings),
            base_url="http://127.0.0.1:8123",
            follow_redirects=False,
        )

    browser = run_sync(build())
    page = browser.get("/login/link", params={"token": token})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    answer = browser.post("/login/link", data={"token": token, "csrf_token": csrf.group(1)})
    assert answer.status_code == 303
    organisers = browser.get("/organisers")  # a regional organiser: not an admin
    assert organisers.status_code == 403 and "42 (organiser) · Varna" in organisers.text
