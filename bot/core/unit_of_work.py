"""The unit of work (the cosmicpython pattern): one transaction per use case, carrying the
repositories the use case reaches, and the domain events it records.

    async with self.units() as uow:          # a new unit of work for each use case
        stored = await uow.events.store(draft, origin.actor, now)
        uow.record(EventChanged(stored.event, now))
        await self.bus.handle(uow)           # the handlers run in the same transaction
        await uow.commit()                   # leaving without commit() rolls back

Every repository reached through `uow` works in its transaction: nothing is written until
`commit()`, and an error (or leaving without committing) leaves the database as it was. The
implementation is chosen in bot/bootstrap.py (bot/storage/unit_of_work.py on SQLAlchemy); the
service tests use tests/fakes/unit_of_work.py."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from bot.core.alerts import AlertOptIns, AlertStore
from bot.core.domain_events import DomainEvent
from bot.core.nlu_review import ReviewQueue
from bot.core.ports import (
    Audit,
    Broadcasts,
    CheckedMessages,
    Deliveries,
    Events,
    PersonalData,
    Reminders,
    Roles,
    Unanswered,
)


class UnitOfWork(Protocol):
    @property
    def events(self) -> Events: ...

    @property
    def reminders(self) -> Reminders: ...

    @property
    def deliveries(self) -> Deliveries: ...

    @property
    def roles(self) -> Roles: ...

    @property
    def audit(self) -> Audit: ...

    @property
    def broadcasts(self) -> Broadcasts: ...

    @property
    def personal_data(self) -> PersonalData: ...

    @property
    def unanswered(self) -> Unanswered: ...

    @property
    def nlu_review(self) -> ReviewQueue: ...

    @property
    def alerts(self) -> AlertStore: ...

    @property
    def alert_opt_ins(self) -> AlertOptIns: ...

    @property
    def checked_messages(self) -> CheckedMessages: ...

    async def __aenter__(self) -> UnitOfWork:
        """Begin the transaction."""
        ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back what was not committed, and end the transaction."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    def record(self, event: DomainEvent) -> None:
        """Note what happened, for the message bus to handle."""
        ...

    def collect_new_events(self) -> list[DomainEvent]:
        """What was recorded since the last call, in order."""
        ...


# Makes a new unit of work: a use case takes this and opens one per call.
UnitsOfWork = Callable[[], UnitOfWork]


class EventLog:
    """The domain events of one unit of work; implementations keep theirs in one."""

    def __init__(self) -> None:
        self._new: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self._new.append(event)

    def collect_new_events(self) -> list[DomainEvent]:
        new, self._new = self._new, []
        return new
