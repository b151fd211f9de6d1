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

**At receipt** (`store_and_read`, docs/benchmarks.md "PostgreSQL per-message path (perf14d)"):
the webhook's store of an update (bot.storage.inbound) and these reads in one statement, so a
free-text update costs one round trip before its reply instead of two. The counting and the
touch happen only when the update is newly stored (a resent one counts nothing), in the store's
own transaction: both or neither, committed (and synchronous) before the webhook's 200. The
reads come back before that commit is flushed (`store_and_read_before_commit`): the update is
handled meanwhile, and its handling waits for the commit before it writes or sends anything
(bot/storage/receipt.py). The
reads are handed to the dialogue through `use` around the update's handling: `read` then gives
them (once, for that user) instead of asking again. When the handling starts late
(`FRESH_FOR`), the user and the pending question are read again (the count stands: the message
was counted once, at receipt).

A user made by another process's first message at the same moment is not visible to this
statement (its snapshot was taken before): then the user comes back empty and is touched the
usual way (a second round trip, for that message only).

The statements are SQLAlchemy Core over the tables of bot/storage/schema.py, built once, their
values given at run time (see bot.storage.access).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Iterator
from typing import Any, cast

from sqlalchemy import (
    Float,
    Integer,
    Table,
    bindparam,
    case,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import Select

from bot.core.flood import FloodLimit, Verdict, verdict_for
from bot.core.ports import PendingInput, UserRecord
from bot.storage.access import database_for
from bot.storage.db import Store
from bot.storage.schema import ConversationState, FloodWindow, InboundUpdate, User
from bot.storage.users import TOUCH_EVERY, SqlUsers

_USERS = cast(Table, User.__table__)
_FLOOD = cast(Table, FloodWindow.__table__)
_STATE = cast(Table, ConversationState.__table__)
_INBOUND = cast(Table, InboundUpdate.__table__)
_USER_COLUMNS = ("id", "language", "region", "first_seen", "last_seen")

# Reads made at receipt older than this when the update's handling starts (a queue behind busy
# workers) are read again, but for the count: another message of the user may have been handled
# meanwhile.
FRESH_FOR = dt.timedelta(seconds=1)


def _statement(*, count: bool = True, store: bool = False) -> Select[Any]:
    """The first reads: the flood count (`count`), the user touched, the pending question; with
    `store`, the webhook's store of the update first, and the count and the touch only when it
    stored the update (its id in column `stored`)."""
    user_id = bindparam("user_id", type_=_USERS.c.id.type)
    language = bindparam("language", type_=_USERS.c.language.type)
    now = bindparam("now", type_=_USERS.c.last_seen.type)
    at = bindparam("at", type_=Float)
    ended = _FLOOD.c.started <= bindparam("ended_by", type_=Float)
    columns: list[Any] = []
    flood_row: dict[str, Any] = {"user_id": user_id, "started": at, "count": 1}
    user_row: dict[str, Any] = {"id": user_id, "language": language, "first_seen": now}
    user_row["last_seen"] = now
    flood_insert: Any = postgresql.insert(_FLOOD)
    user_insert: Any = postgresql.insert(_USERS)
    if store:
        # As SqlInbound.store; the rows below are written only when it wrote its own.
        stored = (
            postgresql.insert(_INBOUND)
            .values(
                update_id=bindparam("update_id", type_=_INBOUND.c.update_id.type),
                payload=bindparam("payload", type_=_INBOUND.c.payload.type),
                received_at=bindparam("received_at", type_=_INBOUND.c.received_at.type),
                claimed_until=bindparam("claimed_until", type_=_INBOUND.c.claimed_until.type),
            )
            .on_conflict_do_nothing()
            .returning(_INBOUND.c.update_id)
            .cte("stored")
        )
        new = select(stored.c.update_id).exists()
        flood_insert = flood_insert.from_select(
            list(flood_row),
            select(user_id, at, literal_column("1", Integer)).where(new),
        )
        user_insert = user_insert.from_select(list(user_row), select(*user_row.values()).where(new))
        columns.append(select(stored.c.update_id).scalar_subquery().label("stored"))
    else:
        flood_insert = flood_insert.values(flood_row)
        user_insert = user_insert.values(user_row)
    if count:
        flood = (
            flood_insert.on_conflict_do_update(
                index_elements=[_FLOOD.c.user_id],
                set_={
                    "started": case((ended, at), else_=_FLOOD.c.started),
                    "count": case((ended, 1), else_=_FLOOD.c.count + 1),
                },
            )
            .returning(_FLOOD.c.count)
            .cte("flood")
        )
        columns.append(select(flood.c.count).scalar_subquery().label("flood_count"))
    touched = (
        user_insert.on_conflict_do_update(
            index_elements=[_USERS.c.id],
            set_={"last_seen": now},
            where=_USERS.c.last_seen <= bindparam("stale", type_=_USERS.c.last_seen.type),
        )
        .returning(*(_USERS.c[name] for name in _USER_COLUMNS))
        .cte("touched")
    )
    known = union_all(
        select(*(touched.c[name] for name in _USER_COLUMNS)),
        select(*(_USERS.c[name] for name in _USER_COLUMNS)).where(
            _USERS.c.id == user_id, ~select(touched.c.id).exists()
        ),
    ).cte("known")
    one = select(literal_column("1").label("one")).subquery("one")
    return select(
        *columns,
        *(known.c[name] for name in _USER_COLUMNS[1:]),
        _STATE.c.flow,
        _STATE.c.data,
    ).select_from(one.outerjoin(known, true()).outerjoin(_STATE, _STATE.c.user_id == user_id))


# Built once each (bot.storage.access compiles a statement once, by identity).
_READ = _statement()
_REREAD = _statement(count=False)
_STORE_AND_READ = _statement(store=True)


@dataclasses.dataclass(frozen=True)
class EarlyReads:
    """The first reads of one update, made when it was stored."""

    user_id: int
    at: dt.datetime
    verdict: Verdict
    user: UserRecord | None  # None: made by another process at that moment (see above)
    pending: PendingInput | None


class _Handed:
    """The early reads of the update being handled, given out once."""

    __slots__ = ("reads",)

    def __init__(self, reads: EarlyReads) -> None:
        self.reads: EarlyReads | None = reads


_HANDED: contextvars.ContextVar[_Handed | None] = contextvars.ContextVar(
    "first_reads_handed", default=None
)


def _user(row: Any, user_id: int) -> UserRecord | None:
    if row.language is None:
        return None
    return UserRecord(user_id, row.language, row.first_seen, row.last_seen, row.region)


def _pending(row: Any) -> PendingInput | None:
    return PendingInput(row.flow, dict(row.data)) if row.flow is not None else None


class PgFirstReads:
    def __init__(self, sessions: Store, limit: FloodLimit) -> None:
        self._db = database_for(sessions)
        self.limit = limit
        # The usual way, for the rare statement that finds no user (see above).
        self._users = SqlUsers(sessions)

    def _values(self, user_id: int, language: str, now: dt.datetime) -> dict[str, Any]:
        at = now.timestamp()
        return {
            "user_id": user_id,
            "at": at,
            "ended_by": at - self.limit.window.total_seconds(),
            "language": language,
            "now": now,
            "stale": now - TOUCH_EVERY,
        }

    async def read(
        self, user_id: int, language: str, now: dt.datetime
    ) -> tuple[Verdict, UserRecord, PendingInput | None]:
        handed = _HANDED.get()
        early = handed.reads if handed is not None else None
        if early is not None and early.user_id == user_id:
            assert handed is not None
            handed.reads = None  # once: the message was counted once
            if early.user is not None and now - early.at < FRESH_FOR:
                return early.verdict, early.user, early.pending
            # Late (or the user made elsewhere meanwhile): read again, without counting.
            values = self._values(user_id, language, now)
            del values["at"], values["ended_by"]
            row = await self._db.read_row(_REREAD, values)
            assert row is not None  # one row, whatever the tables hold
            return early.verdict, await self._known(row, user_id, language, now), _pending(row)
        row = await self._db.read_row(_READ, self._values(user_id, language, now))
        assert row is not None  # one row, whatever the tables hold
        verdict = verdict_for(int(row.flood_count), self.limit)
        return verdict, await self._known(row, user_id, language, now), _pending(row)

    async def _known(self, row: Any, user_id: int, language: str, now: dt.datetime) -> UserRecord:
        user = _user(row, user_id)
        return user if user is not None else await self._users.touch(user_id, language, now)

    async def store_and_read(
        self, inbound: dict[str, Any], user_id: int, language: str, now: dt.datetime
    ) -> EarlyReads | None:
        """Store a webhook update (`inbound`: the values of SqlInbound's store) and make the
        first reads of its free text in the same statement, committed when this returns; None
        when the update was already stored (nothing counted or touched then)."""
        early, committed = await self.store_and_read_before_commit(inbound, user_id, language, now)
        await committed
        return early

    async def store_and_read_before_commit(
        self, inbound: dict[str, Any], user_id: int, language: str, now: dt.datetime
    ) -> tuple[EarlyReads | None, Awaitable[None]]:
        """As `store_and_read`, but back as soon as the reads are, before the commit is
        flushed to disk: the commit goes on in the awaitable returned (to be awaited before
        the update counts as received, and by its handling before it writes or sends anything:
        bot/storage/receipt.py)."""
        row, committed = await self._db.read_row_before_commit(
            _STORE_AND_READ, {**inbound, **self._values(user_id, language, now)}
        )
        assert row is not None  # one row, whatever the tables hold
        if row.stored is None:
            return None, committed
        verdict = verdict_for(int(row.flood_count), self.limit)
        return EarlyReads(user_id, now, verdict, _user(row, user_id), _pending(row)), committed


@contextlib.contextmanager
def use(reads: EarlyReads | None) -> Iterator[None]:
    """`reads` given to `PgFirstReads.read` while the update they were made for is handled."""
    if reads is None:
        yield
        return
    token = _HANDED.set(_Handed(reads))
    try:
        yield
    finally:
        _HANDED.reset(token)
