"""A hand-written unit of work over the memory fakes, for the service tests (cosmicpython's
FakeUnitOfWork). The memory stores write at once; the unit of work keeps a copy of every
store's state when it begins and puts it back at a rollback (or at leaving without commit), as
the database's transaction would, so a use case that forgets to commit, or fails halfway, is
seen to leave nothing behind. It also counts the transactions committed and rolled back."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from types import TracebackType

from bot.core.alerts import AlertOptIns, AlertStore
from bot.core.nlu_review import ReviewQueue
from bot.core.outbox_refs import event_user_ref
from bot.core.ports import (
    Audit,
    Broadcasts,
    CheckedMessages,
    Deliveries,
    EventPorts,
    EventRecord,
    Events,
    PersonalData,
    Recipient,
    Reminders,
    Roles,
    Scheduled,
    Unanswered,
)
from bot.core.unit_of_work import EventLog
from bot.services.handlers import handlers
from bot.services.messagebus import MessageBus
from tests.fakes.alerts import MemoryAlertOptIns, MemoryAlerts
from tests.fakes.core import (
    MemoryAudit,
    MemoryBroadcasts,
    MemoryChecklistRuns,
    MemoryConversations,
    MemoryDeliveries,
    MemoryEvents,
    MemoryPersonalData,
    MemoryReminders,
    MemoryRoles,
    MemorySubscriptions,
    MemoryUnanswered,
    MemoryUsers,
)
from tests.fakes.nlu_review import MemoryReviewQueue
from tests.fakes.scam import MemoryCheckedMessages


class FakeUnitOfWork(EventLog):
    """Also its own factory: a service given it opens it again for every use case."""

    def __init__(
        self,
        *,
        events: Events | None = None,
        reminders: Reminders | None = None,
        deliveries: Deliveries | None = None,
        roles: Roles | None = None,
        audit: Audit | None = None,
        broadcasts: Broadcasts | None = None,
        personal_data: PersonalData | None = None,
        unanswered: Unanswered | None = None,
        nlu_review: ReviewQueue | None = None,
        alerts: AlertStore | None = None,
        alert_opt_ins: AlertOptIns | None = None,
        checked_messages: CheckedMessages | None = None,
    ) -> None:
        super().__init__()
        users = MemoryUsers()
        self.events: Events = events or MemoryEvents()
        self.reminders: Reminders = reminders or MemoryReminders(users)
        self.deliveries: Deliveries = deliveries or MemoryDeliveries()
        self.roles: Roles = roles or MemoryRoles()
        self.audit: Audit = audit or MemoryAudit()
        self.broadcasts: Broadcasts = broadcasts or MemoryBroadcasts()
        self.personal_data: PersonalData = personal_data or MemoryPersonalData(
            users, MemorySubscriptions(), MemoryConversations(), MemoryChecklistRuns()
        )
        self.unanswered: Unanswered = unanswered or MemoryUnanswered()
        self.nlu_review: ReviewQueue = nlu_review or MemoryReviewQueue()
        self.alerts: AlertStore = alerts or MemoryAlerts()
        self.alert_opt_ins: AlertOptIns = alert_opt_ins or MemoryAlertOptIns()
        self.checked_messages: CheckedMessages = checked_messages or MemoryCheckedMessages()
        self.opened = self.commits = self.rollbacks = 0
        self._committed = False
        self._saved: dict[int, dict[str, object]] = {}
        self._open = 0

    @classmethod
    def of(
        cls,
        ports: EventPorts,
        *,
        personal_data: PersonalData | None = None,
        unanswered: Unanswered | None = None,
    ) -> FakeUnitOfWork:
        """On the stores the features are given (tests/fakes/core.event_ports)."""
        return cls(
            events=ports.events,
            reminders=ports.reminders,
            deliveries=ports.deliveries,
            roles=ports.roles,
            audit=ports.audit,
            broadcasts=ports.broadcasts,
            personal_data=personal_data,
            unanswered=unanswered,
        )

    def __call__(self) -> FakeUnitOfWork:
        return self

    def _stores(self) -> list[object]:
        """Every store the repositories hold: the objects of classes written under tests/
        (the memory fakes and a test's own subclasses), nested ones included (MemoryReminders
        reads the users of MemoryPersonalData)."""
        found: dict[int, object] = {}
        todo: list[object] = [
            self.events, self.reminders, self.deliveries, self.roles, self.audit,
            self.broadcasts, self.personal_data, self.unanswered, self.nlu_review, self.alerts,
            self.alert_opt_ins, self.checked_messages,
        ]  # fmt: skip
        while todo:
            store = todo.pop()
            if id(store) in found or not type(store).__module__.startswith("tests."):
                continue
            found[id(store)] = store
            todo.extend(vars(store).values())
        return list(found.values())

    async def __aenter__(self) -> FakeUnitOfWork:
        self.opened += 1
        self._committed = False
        self._open += 1
        if self._open > 1:
            # Units overlapping on the same stores (tasks at once): putting one's copy back
            # could undo another's writes, so none is put back until all have closed.
            self._saved = {}
            return self
        stores = self._stores()
        # The stores themselves are not copied, only what they hold: references between them
        # stay references to the same objects.
        memo: dict[int, object] = {id(store): store for store in stores}
        self._saved = {id(store): copy.deepcopy(vars(store), memo) for store in stores}
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.rollback()
        finally:
            self._open -= 1

    async def commit(self) -> None:
        self.commits += 1
        self._committed = True
        self._saved = {}

    async def rollback(self) -> None:
        self.rollbacks += 1
        for store in self._stores():
            saved = self._saved.get(id(store))
            if saved is not None:
                vars(store).clear()
                vars(store).update(saved)
        self._saved = {}


class FakeNotices:
    """The messages about a changed event, as bot.features.event_list writes them, in
    miniature: one notice per recipient, keyed by event, version and user."""

    def change_items(
        self, event: EventRecord, recipients: Sequence[Recipient], now: dt.datetime
    ) -> list[Scheduled]:
        return [
            Scheduled(
                key=f"notice:{event.id}:{event.version}:{r.user_id}",
                user_id=r.user_id,
                kind="event_notice",
                payload={"text": event.draft.key},
                not_before=now,
                ref=event_user_ref(event.id, r.user_id),
            )
            for r in recipients
        ]


def fake_bus() -> MessageBus:
    """The bot's handler table, with FakeNotices writing the change notices."""
    return MessageBus(handlers(FakeNotices()))
