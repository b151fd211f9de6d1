"""The first reads of a free-text message in one statement on PostgreSQL (bot.core.ports.
FirstReads): the flood count (bot.storage.flood), the user touched (bot.storage.users) and the
pending question (bot.storage.subscriptions), which are otherwise three statements on three
connections at once. One statement costs the bot about half the CPU of three (docs/benchmarks.md,
"PostgreSQL round trips (perf14c)"), the server one backend instead of three, and the event loop
one socket's wake-up instead of three. It runs on the direct path (bot.storage.pg_direct), and
does what the three would do:

- the flood count: the same INSERT ... ON CONFLICT DO UPDATE as `SqlFloodGate.check`;
- the user: made with the given language when new, its last-seen time renewed when it is older
  than `TOUCH_EVERY`, as `SqlUsers.touch`; the row as it is after that;
- the pending question, as `SqlConversations.get`.

A user made by another process's first message at the same moment is not visible to this
statement (its snapshot was taken before): then the user comes back empty and is touched the
usual way (a second round trip, for that message only).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, bindparam, column, text

from bot.core.flood import FloodLimit, Verdict, verdict_for
from bot.core.ports import PendingInput, UserRecord
from bot.storage.access import database_for
from bot.storage.db import Store
from bot.storage.schema import ConversationState, FloodWindow, User
from bot.storage.users import TOUCH_EVERY, SqlUsers

# The tables by name (bot/storage/schema.py): users, flood_windows, conversation_state.
_USER = User.__table__.c

_SQL = """
WITH flood AS (
    INSERT INTO flood_windows AS w (user_id, started, count) VALUES (:user_id, :at, 1)
    ON CONFLICT (user_id) DO UPDATE SET
        started = CASE WHEN w.started <= :ended_by THEN :at ELSE w.started END,
        count = CASE WHEN w.started <= :ended_by THEN 1 ELSE w.count + 1 END
    RETURNING w.count
), touched AS (
    INSERT INTO users (id, language, first_seen, last_seen)
    VALUES (:user_id, :language, :now, :now)
    ON CONFLICT (id) DO UPDATE SET last_seen = :now WHERE users.last_seen <= :stale
    RETURNING id, language, region, first_seen, last_seen
), known AS (
    SELECT id, language, region, first_seen, last_seen FROM touched
    UNION ALL
    SELECT id, language, region, first_seen, last_seen FROM users
    WHERE id = :user_id AND NOT EXISTS (SELECT FROM touched)
)
SELECT (SELECT count FROM flood) AS flood_count, known.language AS language,
       known.region AS region, known.first_seen AS first_seen, known.last_seen AS last_seen,
       state.flow AS flow, state.data AS data
FROM (SELECT 1) AS one
LEFT JOIN known ON true
LEFT JOIN conversation_state AS state ON state.user_id = :user_id
"""

# Built once, its values given at run time (see bot.storage.access); the columns' own types, so
# values and results are converted as on the three statements it stands for.
_READ = (
    text(_SQL)
    .bindparams(
        bindparam("user_id", type_=_USER.id.type),
        bindparam("at", type_=Float),
        bindparam("ended_by", type_=Float),
        bindparam("language", type_=_USER.language.type),
        bindparam("now", type_=_USER.last_seen.type),
        bindparam("stale", type_=_USER.last_seen.type),
    )
    .columns(
        column("flood_count", FloodWindow.__table__.c.count.type),
        column("language", _USER.language.type),
        column("region", _USER.region.type),
        column("first_seen", _USER.first_seen.type),
        column("last_seen", _USER.last_seen.type),
        column("flow", ConversationState.__table__.c.flow.type),
        column("data", ConversationState.__table__.c.data.type),
    )
)


class PgFirstReads:
    def __init__(self, sessions: Store, limit: FloodLimit) -> None:
        self._db = database_for(sessions)
        self.limit = limit
        # The usual way, for the rare statement that finds no user (see above).
        self._users = SqlUsers(sessions)

    async def read(
        self, user_id: int, language: str, now: dt.datetime
    ) -> tuple[Verdict, UserRecord, PendingInput | None]:
        at = now.timestamp()
        row = await self._db.read_row(
            _READ,
            {
                "user_id": user_id,
                "at": at,
                "ended_by": at - self.limit.window.total_seconds(),
                "language": language,
                "now": now,
                "stale": now - TOUCH_EVERY,
            },
        )
        assert row is not None  # one row, whatever the tables hold
        if row.language is None:
            user = await self._users.touch(user_id, language, now)
        else:
            user = UserRecord(user_id, row.language, row.first_seen, row.last_seen, row.region)
        pending = PendingInput(row.flow, dict(row.data)) if row.flow is not None else None
        return verdict_for(int(row.flood_count), self.limit), user, pending
