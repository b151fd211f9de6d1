"""/unanswered (issue 17): messages the bot did not understand, grouped by similarity with
counts, read from SQLite; only unscoped organisers and admins see them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.unanswered_groups import StoredMessage, UnansweredGroups, group
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.unanswered import SqlUnanswered
from bot.storage.unanswered_queue import SqlRecentUnanswered
from tests.auxil.dashboard import ADMIN, NOW, FakeDashboard, fake_dashboard
from tests.auxil.web_pages import add_staff, client_for, sign_in_link, signed_in

REGIONAL, VIEWER = 3002, 3003


def test_similar_messages_are_one_group_most_asked_first() -> None:
    at = NOW
    messages = [
        StoredMessage("how do I report a fake shop", "en", "report_incident", at),
        StoredMessage("What is a honeypot?", "en", None, at - dt.timedelta(minutes=1)),
        StoredMessage("How do I report a fake  shop?", "en", "report_incident", at),
        StoredMessage("how to report fake shop", "en", "shopping", at),
        StoredMessage("как да подам сигнал за фалшив магазин", "bg", None, at),
    ]
    groups = group(messages)
    assert [g.count for g in groups] == [3, 1, 1]
    assert groups[0].example == "how do I report a fake shop"
    assert groups[0].best_guess == "report_incident"
    assert "how to report fake shop" in groups[0].others


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[FakeDashboard]:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    store = SqlUnanswered(sessions, dt.timedelta(days=30))
    for n, text in enumerate(["is this sms a scam", "Is this SMS a scam?", "qwerty zzz"]):
        await store.record(text, "en", None, 0.2, NOW - dt.timedelta(minutes=n))
    fake = fake_dashboard()
    fake.services.unanswered = UnansweredGroups(SqlRecentUnanswered(sessions))
    await add_staff(fake, REGIONAL, "organiser", frozenset({"plovdiv"}))
    await add_staff(fake, VIEWER, "viewer")
    try:
        yield fake
    finally:
        await engine.dispose()


async def test_the_page_lists_the_groups_with_counts(dashboard: FakeDashboard) -> None:
    client = signed_in(client_for(dashboard), await sign_in_link(dashboard, ADMIN))
    page = client.get("/unanswered")
    assert page.status_code == 200
    assert "Messages: 3; groups of similar ones: 2" in page.text
    assert "is this sms a scam" in page.text and "qwerty zzz" in page.text
    assert client.get("/unanswered", params={"language": "bg"}).text.count("<tr>") == 2


@pytest.mark.parametrize("who", [REGIONAL, VIEWER])
async def test_scoped_organisers_and_viewers_are_refused(
    dashboard: FakeDashboard, who: int
) -> None:
    client = signed_in(client_for(dashboard), await sign_in_link(dashboard, who))
    assert client.get("/unanswered").status_code == 403
