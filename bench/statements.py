"""The statements on the path of every message, one at a time on an idle loop: storing a webhook
update, reading the user and the pending question, and deleting handled updates (in batches,
off that path; here one at a time). Microseconds per call, and the trips each makes to
the SQLite connection's thread."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.ports import PendingInput
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.inbound import SqlInbound
from bot.storage.subscriptions import SqlConversations
from bot.storage.users import SqlUsers
from tests.auxil.sqlite_trips import Trips

T0 = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)
UPDATE = {
    "update_id": 1,
    "message": {
        "message_id": 5,
        "from": {"id": 5, "is_bot": False, "first_name": "Ana", "language_code": "bg"},
        "chat": {"id": 5, "type": "private", "first_name": "Ana"},
        "date": 1_790_000_000,
        "text": "какво е фишинг и как да се пазя",
    },
}


@dataclass(frozen=True)
class Timing:
    statement: str
    microseconds: float
    trips: float


async def bench_statements(database_url: str, calls: int = 3_000) -> list[Timing]:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        users, conversations, inbound = (
            SqlUsers(sessions),
            SqlConversations(sessions),
            SqlInbound(sessions),
        )
        for user in range(100):
            await users.touch(user, "bg", T0)
        await conversations.set(1, PendingInput("link", {}), T0)
        operations: list[tuple[str, Callable[[int], Awaitable[object]]]] = [
            ("store an update", lambda n: inbound.store(10_000 + n, UPDATE, T0, LEASE)),
            ("read the user", lambda n: users.get(n % 100)),
            ("read the pending question", lambda n: conversations.get(n % 100)),
            ("delete a handled update", lambda n: inbound.done([10_000 + n])),
        ]
        timings = []
        for name, operation in operations:
            await operation(-1)  # a connection opened, the statement compiled
            with Trips() as trips:
                started = time.perf_counter()
                for n in range(calls):
                    await operation(n)
                elapsed = time.perf_counter() - started
            timings.append(Timing(name, elapsed / calls * 1e6, len(trips.calls) / calls))
        return timings
    finally:
        await engine.dispose()
