"""Flood control counted in the database, so that several bot processes share one count per
user: the limit, and the single notice, hold in total however the load balancer spreads a
user's messages.

One row per user and one statement per message: an INSERT ... ON CONFLICT DO UPDATE that counts
the message and returns the count, atomically (the row is locked for the update), so two
processes counting the same user at once each see their own number. The window is fixed,
starting at the first message after the previous one ended: the usual shared-counter scheme,
which can let up to twice the limit through around the moment one window gives way to the next
(the in-memory `FloodGate` slides its window; it serves one process).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, bindparam, case, delete

from bot.core.flood import FloodLimit, Verdict, verdict_for
from bot.storage.access import database_for
from bot.storage.db import Store, writing
from bot.storage.schema import FloodWindow


class SqlFloodGate:
    def __init__(self, sessions: Store, limit: FloodLimit) -> None:
        self._sessions = sessions
        self._db = database_for(sessions)
        self.limit = limit
        # Run for every message: built once, its values given at run time (see bot.storage.access).
        at = bindparam("at", type_=Float)
        ended = FloodWindow.started <= bindparam("ended_by", type_=Float)
        self._count = (
            self._db.insert(FloodWindow)
            .values(user_id=bindparam("user_id"), started=at, count=1)
            .on_conflict_do_update(
                index_elements=[FloodWindow.user_id],
                set_={
                    "started": case((ended, at), else_=FloodWindow.started),
                    "count": case((ended, 1), else_=FloodWindow.count + 1),
                },
            )
            .returning(FloodWindow.count)
        )

    async def check(self, user_id: int, now: dt.datetime) -> Verdict:
        at = now.timestamp()
        count = await self._db.write_returning(
            self._count,
            {"user_id": user_id, "at": at, "ended_by": at - self.limit.window.total_seconds()},
        )
        return verdict_for(int(count), self.limit)

    async def purge(self, now: dt.datetime) -> int:
        """Forget windows that have ended (a user's next message starts a new one anyway)."""
        ended = now.timestamp() - self.limit.window.total_seconds()
        async with writing(self._sessions) as session:
            result = await session.execute(delete(FloodWindow).where(FloodWindow.started <= ended))
            return int(getattr(result, "rowcount", 0) or 0)
