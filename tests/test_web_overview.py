"""The overview page and its CSV (issue 17): figures from the rollups on SQLite, the period and
region filters, SVG charts with their numbers, and the regions a scoped organiser may see."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.rollups import Metric
from bot.services.figures import FiguresService
from bot.storage.db import make_engine, make_sessions, migrate, writing
from bot.storage.rollups import SqlRollups
from bot.storage.schema import DailyRollup
from tests.auxil.dashboard import ADMIN, NOW, FakeDashboard, fake_dashboard
from tests.auxil.web_pages import add_staff, client_for, sign_in_link, signed_in

TODAY = NOW.date()
REGIONAL = 2002
VIEWER = 2003


def _row(metric: str, days_ago: int, region: str, key: str, value: int) -> DailyRollup:
    return DailyRollup(
        metric=metric,
        day=TODAY - dt.timedelta(days=days_ago),
        region=region,
        key=key,
        value=value,
    )


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[FakeDashboard]:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    async with writing(sessions) as session:
        session.add_all(
            [
                _row(Metric.USERS, 0, "sofia-city", "language:bg", 700),
                _row(Metric.USERS, 0, "sofia-city", "language:en", 50),
                _row(Metric.USERS, 0, "plovdiv", "language:bg", 240),
                _row(Metric.USERS, 0, "", "language:en", 10),
                _row(Metric.SUBSCRIBERS, 0, "sofia-city", "audience:citizen", 300),
                _row(Metric.SUBSCRIBERS, 0, "sofia-city", "language:bg", 300),
                _row(Metric.SUBSCRIBERS, 0, "plovdiv", "audience:business", 40),
                _row(Metric.SUBSCRIBERS, 0, "plovdiv", "language:bg", 40),
                _row(Metric.NEW_USERS, 1, "sofia-city", "bg", 12),
                _row(Metric.NEW_USERS, 2, "plovdiv", "bg", 7),
                _row(Metric.NEW_USERS, 40, "plovdiv", "bg", 99),  # before the last 30 days
                _row(Metric.MESSAGES, 1, "sofia-city", "answered", 80),
                _row(Metric.MESSAGES, 1, "sofia-city", "not_understood", 20),
                _row(Metric.MESSAGES, 1, "plovdiv", "answered", 5),
                _row(Metric.DELIVERIES, 1, "sofia-city", "sent", 290),
                _row(Metric.DELIVERIES, 1, "sofia-city", "blocked", 4),
                _row(Metric.DELIVERIES, 1, "plovdiv", "sent", 38),
                _row(Metric.NLU_MS, 1, "", "le_50", 90),
                _row(Metric.NLU_MS, 1, "", "le_250", 10),
                _row(Metric.NLU_MS_SUM, 1, "", "", 3000),
                _row(Metric.EVENTS, 1, "sofia-city", "quiz_started", 9),
                _row(Metric.EVENTS, 1, "sofia-city", "quiz_finished", 6),
                _row(Metric.CHECKLISTS, 1, "plovdiv", "started:sme", 3),
            ]
        )
    fake = fake_dashboard()
    fake.services.figures = FiguresService(SqlRollups(sessions))
    await add_staff(fake, REGIONAL, "organiser", frozenset({"plovdiv"}))
    await add_staff(fake, VIEWER, "viewer")
    try:
        yield fake
    finally:
        await engine.dispose()


async def test_the_overview_shows_every_figure_as_a_chart_with_its_numbers(
    dashboard: FakeDashboard,
) -> None:
    client = signed_in(client_for(dashboard), await sign_in_link(dashboard, ADMIN))
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") >= 8
    assert 'role="img"' in html
    # Totals, with the numbers beside the charts.
    assert "1,000" in html  # users
    assert "340" in html  # subscribers
    assert "Answered: 85 (81%)" in html  # the share, as a labelled legend
    assert "≤ 250 ms" in html  # the 95th percentile's bucket
    assert "Sent: 328" in html
    # Patterns, not colours, tell the parts of a share apart.
    assert 'fill="url(#un-hatch)"' in html
    assert "99" not in html.split('id="chart-new-users"')[1].split("</section>")[0]


async def test_a_region_and_a_period_narrow_the_figures(dashboard: FakeDashboard) -> None:
    client = signed_in(client_for(dashboard), await sign_in_link(dashboard, VIEWER))
    plovdiv = client.get("/", params={"region": "plovdiv"}).text
    assert "Sent: 38" in plovdiv
    assert "Sent: 328" not in plovdiv
    since = (TODAY - dt.timedelta(days=45)).isoformat()
    longer = client.get("/", params={"region": "plovdiv", "since": since}).text
    section = longer.split('id="chart-new-users"')[1].split("</section>")[0]
    assert ">99<" in section
    assert client.get("/", params={"since": "2026-10-10", "until": "2026-10-01"}).status_code == 400


async def test_the_csv_has_the_same_figures(dashboard: FakeDashboard) -> None:
    client = signed_in(client_for(dashboard), await sign_in_link(dashboard, ADMIN))
    reply = client.get("/overview.csv", params={"region": "sofia-city", "days": "7"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert "sofia-city" in reply.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[0] == ["figure", "key", "value"]
    assert ["users", "total", "750"] in rows
    assert ["deliveries", "blocked", "4"] in rows
    assert ["messages_by_kind", "not_understood", "20"] in rows


async def test_a_regional_organiser_sees_only_their_regions(dashboard: FakeDashboard) -> None:
    client = signed_in(client_for(dashboard), await sign_in_link(dashboard, REGIONAL))
    own = client.get("/")
    assert own.status_code == 200
    # Their regions together, never the national figures.
    assert "Sent: 38" in own.text and "Sent: 328" not in own.text
    assert "All my regions" in own.text
    assert client.get("/", params={"region": "sofia-city"}).status_code == 403
    assert client.get("/overview.csv", params={"region": "sofia-city"}).status_code == 403
    csv_rows = client.get("/overview.csv").text
    assert "users,total,240" in csv_rows


async def test_the_overview_in_bulgarian(dashboard: FakeDashboard) -> None:
    client = signed_in(client_for(dashboard), await sign_in_link(dashboard, ADMIN))
    page = client.get("/")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/language", data={"lang": "bg", "next": "/", "csrf_token": token})
    html = client.get("/").text
    assert "Обзор" in html and "Нови потребители на ден" in html
    assert "1000" in html.replace("\u00a0", "").replace(" ", "")


async def test_signed_out_visitors_are_sent_to_sign_in(dashboard: FakeDashboard) -> None:
    reply = client_for(dashboard).get("/", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
