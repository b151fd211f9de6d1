"""The unit of work on SQLAlchemy (bot/core/unit_of_work.py): one transaction, and the
repositories built on it. On SQLite the transaction takes the write lock up front (BEGIN
IMMEDIATE, after this process's queue of writers; see bot.storage.db.writing)."""

from __future__ import annotations

import contextlib
import datetime as dt
from types import TracebackType

from bot.core.unit_of_work import EventLog
from bot.storage.access import Database, InTransaction, Store, database_for
from bot.storage.alerts import SqlAlertOptIns, SqlAlerts
from bot.storage.broadcasts import SqlBroadcasts
from bot.storage.checked import SqlCheckedMessages
from bot.storage.events import SqlEvents, SqlReminders
from bot.storage.nlu_review import SqlReviewQueue
from bot.storage.organisers import SqlAudit, SqlRoles
from bot.storage.outbox import SqlDeliveries
from bot.storage.personal import SqlPersonalData
from bot.storage.unanswered import SqlUnanswered

# The retention is the purge's business (bot.storage.unanswered), not the recording's.
_NO_RETENTION = dt.timedelta(0)


class SqlUnitOfWork(EventLog):
    def __init__(self, database: Store) -> None:
        super().__init__()
        self.database: Database = database_for(database)
        self._stack: contextlib.AsyncExitStack | None = None
        self._tx: InTransaction | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        stack = contextlib.AsyncExitStack()
        tx = await stack.enter_async_context(self.database.transaction())
        self._stack, self._tx = stack, tx
        self.events = SqlEvents(tx)
        self.reminders = SqlReminders(tx)
        self.deliveries = SqlDeliveries(tx)
        self.roles = SqlRoles(tx)
        self.audit = SqlAudit(tx)
        self.broadcasts = SqlBroadcasts(tx)
        self.personal_data = SqlPersonalData(tx)
        self.unanswered = SqlUnanswered(tx, _NO_RETENTION)
        self.nlu_review = SqlReviewQueue(tx)
        self.alerts = SqlAlerts(tx)
        self.alert_opt_ins = SqlAlertOptIns(tx)
        self.checked_messages = SqlCheckedMessages(tx)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stack, self._stack, self._tx = self._stack, None, None
        if stack is not None:
            # Rolls back unless committed (Database.transaction).
            await stack.__aexit__(kind, error, traceback)

    async def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("commit() outside the unit of work")
        await self._tx.commit()

    async def rollback(self) -> None:
        if self._tx is not None:
            await self._tx.session.rollback()


def units_of_work(database: Store) -> SqlUnitOfWork:
    """A new unit of work on `database`, for a service's `UnitsOfWork` (functools.partial)."""
    return SqlUnitOfWork(database)
