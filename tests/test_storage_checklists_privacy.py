"""Checklist progress and the user's data (export, erasure) on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from sqlalchemy import inspect, text

from bot.core.ports import PendingInput
from bot.storage.checklists import SqlChecklistRuns
from bot.storage.db import make_engine, make_sessions
from bot.storage.outbox import SqlOutbox
from bot.storage.personal import AUTHOR_COLUMNS, PERSONAL_TABLES, SqlPersonalData
from bot.storage.schema import Base
from bot.storage.subscriptions import SqlConversations, SqlSubscriptions
from bot.storage.users import SqlUsers
from tests.auxil.schema import migrated

T0 = dt.datetime(2026, 10, 7, 9, 0, tzinfo=dt.UTC)
ME, OTHER = 5_000_000_001, 5_000_000_002
USER_COLUMNS = (
    "user_id",
    "chat_id",
    "created_by",
    "actor_id",
    "added_by",
    "decided_by",
    "promoted_by",
)


async def test_checklist_runs_resume_finish_compare_and_aggregate(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        await SqlUsers(sessions).touch(ME, "en", T0)
        runs = SqlChecklistRuns(sessions)
        assert await runs.open_run(ME, "essentials") is None
        # A double press starts one attempt, not two.
        first, again = await asyncio.gather(
            runs.start(ME, "essentials", T0), runs.start(ME, "essentials", T0)
        )
        assert first.run_id == again.run_id
        await runs.answer(first.run_id, "mfa", "done")
        await runs.answer(first.run_id, "backups", "not_yet")
        # A new connection (a restart) sees the same progress.
        reopened = SqlChecklistRuns(make_sessions(engine))
        running = await reopened.open_run(ME, "essentials")
        assert running is not None and running.answers == {"mfa": "done", "backups": "not_yet"}
        finished = await reopened.finish(first.run_id, 60, T0 + dt.timedelta(minutes=9))
        assert finished is not None and finished.score == 60
        assert finished.finished_at == T0 + dt.timedelta(minutes=9)
        # A finished run takes no more answers.
        assert await reopened.answer(first.run_id, "mfa", "not_yet") is None
        second = await reopened.start(ME, "essentials", T0 + dt.timedelta(days=30))
        assert second.run_id != first.run_id and second.answers == {}
        before = await reopened.previous(ME, "essentials", second.run_id)
        assert before is not None and before.score == 60
        assert await reopened.previous(ME, "essentials", first.run_id) is None
        stats = await reopened.stats()
        assert [(s.checklist, s.finished, s.average_score, s.in_progress) for s in stats] == [
            ("essentials", 1, 60.0, 1)
        ]
    finally:
        await engine.dispose()


async def test_forget_leaves_no_row_that_refers_to_the_user(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        for user in (ME, OTHER):
            await SqlUsers(sessions).touch(user, "bg", T0)
            await SqlSubscriptions(sessions).save(user, "business", 480, "Europe/Sofia", T0)
            await SqlConversations(sessions).set(user, PendingInput("sub_time", {}), T0)
            run = await SqlChecklistRuns(sessions).start(user, "essentials", T0)
            await SqlChecklistRuns(sessions).answer(run.run_id, "mfa", "done")
            await SqlOutbox(sessions).enqueue(
                [
                    {
                        "key": f"tip:{user}:2026-10-07",
                        "user_id": user,
                        "chat_id": user,
                        "kind": "tip",
                        "payload": {"text": "x"},
                        "status": "pending",
                        "attempts": 0,
                        "not_before": T0,
                        "expires_at": None,
                        "created_at": T0,
                    }
                ]
            )
        personal = SqlPersonalData(sessions)
        exported = await personal.export(ME)
        # Everything is there, and it is valid JSON once dates are strings.
        json.dumps(exported, default=str)
        counts = {name: len(rows) for name, rows in exported.items()}  # type: ignore[arg-type]
        assert {name: n for name, n in counts.items() if n} == {
            "users": 1,
            "subscriptions": 1,
            "conversation_state": 1,
            "checklist_runs": 1,
            "outbox": 1,
        }
        assert exported["users"][0]["id"] == ME  # type: ignore[index]

        assert await personal.erase(ME) == 5
        assert await personal.erase(ME) == 0  # twice is harmless
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                columns = {c.name for c in table.columns}
                refs = [c for c in USER_COLUMNS if c in columns]
                if table.name == "users":
                    refs.append("id")
                for column in refs:
                    count = (
                        await conn.execute(
                            text(f"select count(*) from {table.name} where {column} = :u"),
                            {"u": ME},
                        )
                    ).scalar()
                    assert count == 0, f"{table.name}.{column} still refers to the user"
            # The other user is untouched.
            others = (
                await conn.execute(
                    text("select count(*) from checklist_runs where user_id = :u"), {"u": OTHER}
                )
            ).scalar()
            assert others == 1
    finally:
        await engine.dispose()


async def test_every_table_with_a_user_column_is_covered_by_erasure(database_url: str) -> None:
    """A new table that refers to users must be added to PERSONAL_TABLES."""
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(
                lambda c: {
                    t: {col["name"] for col in inspect(c).get_columns(t)}
                    for t in inspect(c).get_table_names()
                }
            )
    finally:
        await engine.dispose()
    covered = {(model.__tablename__, c) for model, c in PERSONAL_TABLES + AUTHOR_COLUMNS}
    with_users = {
        (name, column) for name, cols in tables.items() for column in cols & set(USER_COLUMNS)
    }
    assert with_users - {("outbox", "chat_id")} <= covered
