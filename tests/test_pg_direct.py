"""PostgreSQL's per-message statements run on psycopg directly (bot/storage/pg_direct.py, issue
14): each one gives its caller what the same statement through SQLAlchemy gives, errors come as
SQLAlchemy's, a cut connection is replaced, and nothing connects before the first statement or
stays open after the engine's dispose."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.core.flood import FloodLimit
from bot.core.nlu_review import NewItem
from bot.core.ports import PendingInput
from bot.settings import Settings
from bot.storage import db
from bot.storage.access import Database, PostgresDatabase, database_for
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.flood import SqlFloodGate
from bot.storage.inbound import SqlInbound
from bot.storage.nlu_review import SqlReviewQueue
from bot.storage.pg_direct import APPLICATION_NAME
from bot.storage.schema import FloodWindow, InboundUpdate, Subscription, User
from bot.storage.subscriptions import SqlConversations, SqlSubscriptions
from bot.storage.users import SqlUsers
from tests.auxil.environment import POSTGRES_URL, ROOT
from tests.auxil.held_commit import commits_held, hold_commits_of, release
from tests.auxil.telegram_bot import settings_for
from tests.auxil.webhook import Healthy, post, webhook
from tests.fakes.bot_api import FakeBotAPI

pytestmark = pytest.mark.postgres

SOFIA = dt.timezone(dt.timedelta(hours=2))
T0 = dt.datetime(2026, 10, 12, 9, 0, 0, 123456, tzinfo=dt.UTC)
CLOSE_GUARD = 30.0  # seconds


async def per_message_connections_gone(database_url: str) -> int:
    """The direct path's connections left once the server has seen them closed: a backend
    leaves pg_stat_activity only when its process exits, a moment after the client closes its
    end (a loaded machine showed one still there right after dispose). Polled until none is
    left, or CLOSE_GUARD seconds for one that stays open (that count is returned)."""
    deadline = time.monotonic() + CLOSE_GUARD
    while True:
        left = per_message_connections(database_url)
        if not left or time.monotonic() >= deadline:
            return left
        await asyncio.sleep(0.1)


def per_message_connections(database_url: str, cut: bool = False) -> int:
    """The direct path's connections to the database (cut first, when `cut`)."""
    name = database_url.rsplit("/", 1)[1]
    what = "pg_terminate_backend(pid)" if cut else "pid"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        rows = admin.execute(
            f"select {what} from pg_stat_activity "
            "where datname = %s and application_name = %s and pid <> pg_backend_pid()",
            (name, APPLICATION_NAME),
        ).fetchall()
    return len(rows)


@pytest.fixture
def engine(migrated_postgres_engine: AsyncEngine) -> AsyncEngine:
    return migrated_postgres_engine


def both(engine: AsyncEngine) -> tuple[PostgresDatabase, Database]:
    """The access object (the direct path) and SQLAlchemy's path on the same engine."""
    sessions = make_sessions(engine)
    direct = database_for(sessions)
    assert isinstance(direct, PostgresDatabase)
    return direct, Database(sessions)


async def test_each_per_message_statement_gives_what_sqlalchemy_gives(
    engine: AsyncEngine,
) -> None:
    direct, reference = both(engine)
    # The user: read by key (datetimes with their zone, a region or none, or no user at all).
    await SqlUsers(reference).touch(1, "bg", T0)
    await SqlUsers(reference).touch(2, "en", T0.astimezone(SOFIA))
    await SqlUsers(reference).set_region(1, "Пловдив")
    for user in (1, 2, 3):
        got = await SqlUsers(direct).get(user)
        assert got == await SqlUsers(reference).get(user)
        assert got is None or got.first_seen.utcoffset() == dt.timedelta(0)
    assert await SqlUsers(direct).get(3) is None
    # The pending question: its JSON data as a dict, nested values as JSON gives them back.
    data: dict[str, Any] = {"step": "ask", "n": 3, "x": 1.5, "ok": True, "none": None}
    data |= {"list": [1, "два", {"b": False}], "text": "„кавички“ & <b>"}
    await SqlConversations(reference).set(1, PendingInput("link", data), T0)
    for user in (1, 2):
        got_pending = await SqlConversations(direct).get(user)
        assert got_pending == await SqlConversations(reference).get(user)
    assert (await SqlConversations(direct).get(1)) == PendingInput("link", data)
    # Storing a webhook update (JSON in, a zone other than UTC in, ON CONFLICT DO NOTHING).
    payload = {"update_id": 10, "message": {"text": "какво е фишинг", "date": 1, "x": [None]}}
    at = T0.astimezone(SOFIA)
    lease = dt.timedelta(seconds=30)
    assert await SqlInbound(direct).store(10, payload, at, lease) is True
    assert await SqlInbound(reference).store(11, payload, at, lease) is True
    assert await SqlInbound(direct).store(10, payload, at, lease) is False
    assert await SqlInbound(reference).store(11, payload, at, lease) is False
    stored = [
        await reference.read_row(
            select(
                InboundUpdate.payload, InboundUpdate.received_at, InboundUpdate.claimed_until
            ).where(InboundUpdate.update_id == update_id)
        )
        for update_id in (10, 11)
    ]
    assert stored[0] is not None and stored[1] is not None
    assert tuple(stored[0]) == tuple(stored[1]) == (payload, at, at + lease)
    # The flood count: the same verdicts in the same sequence, the same rows left.
    limit = FloodLimit(messages=3, window=dt.timedelta(seconds=10))
    times = [T0 + dt.timedelta(seconds=s) for s in (0, 1, 2, 3, 4, 11, 12, 30)]
    direct_gate, reference_gate = SqlFloodGate(direct, limit), SqlFloodGate(reference, limit)
    verdicts = [await direct_gate.check(5, t) for t in times]
    assert verdicts == [await reference_gate.check(6, t) for t in times]
    assert len(set(verdicts)) > 1
    windows = [
        await reference.read_row(
            select(FloodWindow.started, FloodWindow.count).where(FloodWindow.user_id == user)
        )
        for user in (5, 6)
    ]
    assert windows[0] is not None and windows[1] is not None
    assert tuple(windows[0]) == tuple(windows[1])
    # The answer's row for the "that didn't help" tap: an id, the same row behind each.
    rows = []
    for database in (direct, reference):
        item = await SqlReviewQueue(database).add(
            NewItem("what is phishing", "en", "phishing", 0.93, None, at, tap_key="k" * 20)
        )
        assert type(item) is int
        (row,) = await SqlReviewQueue(reference).get([item])
        rows.append(row)
    assert rows[1].id == rows[0].id + 1
    assert rows[0].created_at == rows[1].created_at == at
    assert dataclasses.replace(rows[0], id=0) == dataclasses.replace(rows[1], id=0)


async def test_a_row_has_the_columns_sqlalchemy_gives_by_name_and_position(
    engine: AsyncEngine,
) -> None:
    direct, reference = both(engine)
    await SqlUsers(reference).touch(7, "en", T0)
    await SqlUsers(reference).touch(8, "en", T0.astimezone(SOFIA))
    await SqlSubscriptions(reference).save(7, "business", 8 * 60, "Europe/Sofia", T0)
    await SqlSubscriptions(reference).deactivate(7, T0)
    await SqlSubscriptions(reference).save(8, "citizen", 9 * 60, "Europe/Sofia", T0)
    columns = select(
        Subscription.user_id,
        Subscription.active,
        Subscription.next_due_at,
        Subscription.send_minute,
        Subscription.timezone,
        Subscription.audience,
        User.first_seen.label("since"),
    ).join(User, User.id == Subscription.user_id)
    statement = columns.where(Subscription.user_id == bindparam("user"))
    for user in (7, 8, 9):
        mine = await direct.read_row(statement, {"user": user})
        theirs = await reference.read_row(statement, {"user": user})
        if theirs is None:
            assert mine is None
            continue
        assert mine is not None
        assert tuple(mine) == tuple(theirs)
        assert [type(v) for v in mine] == [type(v) for v in theirs]
        assert mine._fields == theirs._fields
        assert (mine.active, mine.since, mine[0]) == (theirs.active, theirs.since, user)


async def test_a_statement_the_direct_path_cannot_run_goes_through_sqlalchemy(
    engine: AsyncEngine,
) -> None:
    direct, reference = both(engine)
    for user in (1, 2, 3):
        await SqlUsers(reference).touch(user, "en", T0)
    # An IN list expanded at execution.
    statement = (
        select(User.id, User.language)
        .where(User.id.in_(bindparam("ids", expanding=True)))
        .order_by(User.id)
    )
    mine = await direct.read_row(statement, {"ids": [2, 3]})
    theirs = await reference.read_row(statement, {"ids": [2, 3]})
    assert mine is not None and theirs is not None
    assert tuple(mine) == tuple(theirs) == (2, "en")


async def test_errors_are_sqlalchemys(engine: AsyncEngine, new_postgres_database: str) -> None:
    direct, reference = both(engine)
    new_user = insert(User).returning(User.id)
    values = {"id": 1, "language": "en", "first_seen": T0, "last_seen": T0}
    assert await direct.write_returning(new_user, values) == 1
    for database in (direct, reference):
        with pytest.raises(IntegrityError):
            await database.write_returning(new_user, values)
    # The connection that failed stays usable: an error does not end an autocommit connection.
    assert await SqlUsers(direct).get(1) is not None
    # In use just now, then cut: that statement fails as SQLAlchemy's would (a DBAPIError with
    # the connection invalidated); the next one runs on a new connection.
    assert per_message_connections(new_postgres_database, cut=True) >= 1
    with pytest.raises(OperationalError) as failed:
        await SqlUsers(direct).get(1)
    assert isinstance(failed.value, DBAPIError) and failed.value.connection_invalidated
    assert await SqlUsers(direct).get(1) is not None


async def test_a_row_before_its_commit(engine: AsyncEngine, new_postgres_database: str) -> None:
    """The row comes back with the transaction still open (nothing visible elsewhere); the
    commit then makes it visible. A failing statement raises as SQLAlchemy's, rolls back, and
    leaves the connection usable; the reference path gives the row committed already."""
    direct, reference = both(engine)
    new_user = insert(User).returning(User.id)
    values = {"id": 7, "language": "en", "first_seen": T0, "last_seen": T0}
    # The commit waits for the test (tests/auxil/held_commit.py): "not yet visible" is then
    # true however the commit and the next read are scheduled.
    hold_commits_of(new_postgres_database, User.__tablename__)
    with commits_held(new_postgres_database) as holder:
        row, committed = await direct.read_row_before_commit(new_user, values)
        assert row is not None and row.id == 7
        assert await SqlUsers(reference).get(7) is None  # not committed yet
        release(holder)
        await committed
    assert await SqlUsers(reference).get(7) is not None
    with pytest.raises(IntegrityError):
        await direct.read_row_before_commit(new_user, values)
    assert await SqlUsers(direct).get(7) is not None  # the pool's connections still work
    row, committed = await reference.read_row_before_commit(new_user, {**values, "id": 8})
    await committed
    assert row is not None and await SqlUsers(direct).get(8) is not None


async def test_a_connection_cut_while_idle_is_replaced_unseen(
    engine: AsyncEngine, new_postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.2)
    direct, _ = both(engine)
    users = SqlUsers(direct)
    await users.touch(1, "en", T0)
    # Several connections in the pool, all cut.
    await asyncio.gather(*(users.get(1) for _ in range(4)))
    await asyncio.sleep(0.3)
    assert per_message_connections(new_postgres_database, cut=True) >= 1
    assert [await users.get(1) for _ in range(6)] == [await users.get(1)] * 6


async def test_an_idle_sqlalchemy_connection_pinged_can_run_in_autocommit(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The idle ping of SQLAlchemy's pool (bot.storage.db) left a transaction open, and a
    one-statement use of that connection then failed to switch to autocommit."""
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.2)
    inbound = SqlInbound(make_sessions(engine))
    assert await inbound.store(1, {"update_id": 1}, T0, dt.timedelta(seconds=1))
    await inbound.done([1])
    await asyncio.sleep(0.3)
    await inbound.done([1])  # on the pinged connection, in autocommit
    assert await inbound.count() == 0


async def test_connections_opened_at_the_first_statement_closed_with_the_engine(
    new_postgres_database: str,
) -> None:
    migrate(new_postgres_database)
    engine = make_engine(new_postgres_database)
    try:
        users = SqlUsers(make_sessions(engine))
        assert per_message_connections(new_postgres_database) == 0
        await users.touch(1, "en", T0)
        await asyncio.gather(*(users.get(1) for _ in range(3)))
        assert per_message_connections(new_postgres_database) >= 1
    finally:
        await engine.dispose()
    assert await per_message_connections_gone(new_postgres_database) == 0


async def test_bootstrap_closes_the_per_message_connections(
    tmp_path: Path, new_postgres_database: str
) -> None:
    settings = Settings(
        _env_file=None, DATABASE_URL=new_postgres_database, DATA_DIR=str(ROOT / "data")
    )
    async with bootstrap(settings) as services:
        assert per_message_connections(new_postgres_database) == 0
        await SqlUsers(services.sessions).touch(1, "en", T0)
        assert await SqlUsers(services.sessions).get(1) is not None
        assert per_message_connections(new_postgres_database) >= 1
    assert await per_message_connections_gone(new_postgres_database) == 0


@pytest.mark.timeout(120)
async def test_the_per_message_connection_cut_the_next_message_still_works(
    tmp_path: Path, new_postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeBotAPI()
    settings = settings_for(tmp_path, database_url=new_postgres_database)
    users = range(600, 610)
    async with webhook(tmp_path, api, Healthy(), settings=settings) as (server, client, _):
        for user in users:
            assert await post(client, api.message_update(user, "/start")) == 200
        await asyncio.wait_for(server.queue.join(), 20)
        # Cut right after use: a message may fail once (5xx, Telegram sends it again), and then
        # every one is answered, once.
        assert per_message_connections(new_postgres_database, cut=True) >= 1
        for user in users:
            update = api.message_update(user, "/help")
            code = await post(client, update)
            if code != 200:
                assert code >= 500
                assert await post(client, update) == 200
        await asyncio.wait_for(server.queue.join(), 20)
        helped = [s.chat_id for s in api.sent if "/privacy" in (s.text or "")]
        assert sorted(helped) == list(users)
        # Cut after idling: pinged and replaced, no message fails.
        monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.2)
        await asyncio.sleep(0.3)
        assert per_message_connections(new_postgres_database, cut=True) >= 1
        for user in users:
            assert await post(client, api.message_update(user, "/help")) == 200
        await asyncio.wait_for(server.queue.join(), 20)
        helped = [s.chat_id for s in api.sent if "/privacy" in (s.text or "")]
        assert sorted(helped) == sorted([*users, *users])
