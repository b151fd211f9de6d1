"""Webhook updates between their acknowledgement and their handling."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from bot.core.ports import FirstReads
from bot.storage import receipt
from bot.storage.access import database_for
from bot.storage.db import Store, reading, writing
from bot.storage.first_reads import EarlyReads, PgFirstReads, use
from bot.storage.schema import InboundUpdate

# Who sent a free-text update, and the language they get if new: (user id, language).
Sender = tuple[int, str]


class SqlInbound:
    def __init__(self, sessions: Store, first_reads: FirstReads | None = None) -> None:
        self._sessions = sessions
        self._db = database_for(sessions)
        # PostgreSQL: a free-text update is stored together with its first reads (one round
        # trip before the reply instead of two; bot/storage/first_reads.py), which are kept
        # here for its handling (`handling`).
        self._first_reads = first_reads if isinstance(first_reads, PgFirstReads) else None
        self._early: dict[int, tuple[EarlyReads, Awaitable[None]]] = {}
        # Run for every update: built once, its values given at run time (see bot.storage.access).
        self._store = (
            self._db.insert(InboundUpdate)
            .on_conflict_do_nothing()
            .returning(InboundUpdate.update_id)
        )

    @property
    def reads_early(self) -> bool:
        """Whether `store` makes the first reads of a free-text update it is given a sender."""
        return self._first_reads is not None

    async def store(
        self,
        update_id: int,
        payload: dict[str, Any],
        now: dt.datetime,
        lease: dt.timedelta,
        sender: Sender | None = None,
    ) -> bool:
        """Keep the update, claimed by the receiving process for `lease`, committed when this
        returns; False when it was already there (Telegram resending it). With a `sender`
        (free text) and first reads, they are made in the same statement and kept for
        `handling`."""
        committed = await self.store_before_commit(update_id, payload, now, lease, sender)
        if committed is None:
            return False
        await committed
        return True

    async def store_before_commit(
        self,
        update_id: int,
        payload: dict[str, Any],
        now: dt.datetime,
        lease: dt.timedelta,
        sender: Sender | None = None,
    ) -> Awaitable[None] | None:
        """As `store`, but what it returns completes once the update is committed: with a
        `sender` and first reads, the reads are back (and the update's handling may start)
        before the commit is flushed to disk. That handling waits for the commit before it
        writes or sends anything (`handling`, bot/storage/receipt.py); the webhook's 200 waits
        for it too. None when the update was already there (committed, or failed, by then)."""
        values = {
            "update_id": update_id,
            "payload": payload,
            "received_at": now,
            "claimed_until": now + lease,
        }
        if sender is not None and self._first_reads is not None:
            early, committed = await self._first_reads.store_and_read_before_commit(
                values, *sender, now
            )
            if early is None:
                await committed  # nothing written; the transaction ends all the same
                return None
            self._early[update_id] = (early, committed)
            return committed
        stored = await self._db.write_returning(self._store, values)
        return receipt.done() if stored is not None else None

    @contextlib.contextmanager
    def handling(self, update_id: int) -> Iterator[None]:
        """Around the handling of an update: the first reads made when it was stored (if any)
        are what the dialogue reads, and until its commit is done, the handling waits for it
        before it writes or sends anything (bot/storage/receipt.py)."""
        kept = self._early.pop(update_id, None)
        if kept is None:
            yield
            return
        early, committed = kept
        with use(early), receipt.pending(committed):
            yield

    async def claim(
        self, update_id: int, now: dt.datetime, lease: dt.timedelta
    ) -> dict[str, Any] | None:
        """Take one update for handling, unless another worker holds it."""
        async with writing(self._sessions) as session:
            payload = await session.scalar(
                update(InboundUpdate)
                .where(
                    InboundUpdate.update_id == update_id,
                    or_(InboundUpdate.claimed_until.is_(None), InboundUpdate.claimed_until < now),
                )
                .values(claimed_until=now + lease)
                .returning(InboundUpdate.payload)
            )
            return dict(payload) if payload is not None else None

    async def done(self, update_ids: Sequence[int]) -> None:
        async with writing(self._sessions, one_statement=True) as session:
            await session.execute(
                delete(InboundUpdate).where(InboundUpdate.update_id.in_(update_ids))
            )

    async def waiting(
        self, now: dt.datetime, older_than: dt.timedelta, limit: int = 500
    ) -> list[int]:
        """Updates nobody is handling: left by a stopped process, or never picked up."""
        async with reading(self._sessions) as session:
            rows = await session.scalars(
                select(InboundUpdate.update_id)
                .where(
                    InboundUpdate.received_at < now - older_than,
                    or_(InboundUpdate.claimed_until.is_(None), InboundUpdate.claimed_until < now),
                )
                .order_by(InboundUpdate.update_id)
                .limit(limit)
            )
            return list(rows)

    async def count(self) -> int:
        async with reading(self._sessions) as session:
            return int(await session.scalar(select(func.count()).select_from(InboundUpdate)) or 0)
