"""The use cases every entrypoint calls, on fakes: organisers, a user's data, unanswered
messages."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.events import EventDraft
from bot.core.messages import Incoming
from bot.core.ports import StoredEvent
from bot.core.understanding import Reading
from bot.dialogue.router import Dialogue
from bot.services.events import EventService, Origin
from bot.services.organisers import OrganiserService
from bot.services.privacy import PrivacyService
from bot.services.unanswered import UnansweredService
from tests.auxil.events import draft
from tests.fakes.core import (
    FakeNLU,
    MemoryAudit,
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
    parse_of,
)
from tests.fakes.unit_of_work import FakeUnitOfWork, fake_bus

NOW = dt.datetime(2026, 10, 7, 9, 0, tzinfo=dt.UTC)
CONTACT = "my fridge mails spam to ivan.petrov@abv.bg, call +359 888 123 456"


async def test_an_organiser_is_added_and_removed_once_each_and_audited() -> None:
    roles, audit = MemoryRoles(), MemoryAudit()
    uow = FakeUnitOfWork(roles=roles, audit=audit)
    service = OrganiserService(uow, fake_bus())
    assert await service.add(42, Origin(7), NOW) is True
    assert await service.add(42, Origin(7), NOW) is False
    assert await roles.is_organiser(42)
    assert await service.remove(42, Origin(7), NOW) is True
    assert await service.remove(42, Origin(7), NOW) is False
    assert audit.rows == [
        (7, "organiser_add", {"user_id": 42}),
        (7, "organiser_remove", {"user_id": 42}),
    ]
    assert uow.opened == 4  # a unit of work (one transaction) per call, the audit entry in it


async def test_a_user_s_data_is_exported_with_its_time_and_erased() -> None:
    users, subscriptions = MemoryUsers(), MemorySubscriptions()
    await users.touch(5, "en", NOW)
    data = MemoryPersonalData(users, subscriptions, MemoryConversations(), MemoryChecklistRuns())
    service = PrivacyService(FakeUnitOfWork(personal_data=data))
    exported = await service.export(5, NOW)
    assert next(iter(exported)) == "exported_at" and exported["exported_at"] == NOW.isoformat()
    assert await service.erase(5) >= 1
    assert await users.get(5) is None


async def test_an_unanswered_message_is_kept_without_contact_details_in_any_store() -> None:
    store = MemoryUnanswered()
    reading = Reading("out_of_scope", 0.2, best_guess="iot_security")
    await UnansweredService(FakeUnitOfWork(unanswered=store)).record(CONTACT, "en", reading, NOW)
    assert store.rows == [
        ("my fridge mails spam to <email>, call <number>", "en", "iot_security", 0.2)
    ]


async def test_the_dialogue_records_unanswered_messages_through_the_service(
    dialogue: Dialogue, nlu: FakeNLU, unanswered: MemoryUnanswered
) -> None:
    nlu.table[CONTACT] = parse_of(("iot_security", 0.2))
    await dialogue.handle(Incoming(99, text=CONTACT))
    assert [row[0] for row in unanswered.rows] == ["my fridge mails spam to <email>, call <number>"]


async def test_saving_a_changed_event_is_one_unit_of_work_with_its_notices_and_audit() -> None:
    users, deliveries, audit = MemoryUsers(), MemoryDeliveries(), MemoryAudit()
    reminders = MemoryReminders(users)
    uow = FakeUnitOfWork(reminders=reminders, deliveries=deliveries, audit=audit)
    service = EventService(uow, fake_bus())
    created = await service.save(draft(days=3), Origin(7), NOW)
    for user_id in (5, 6):
        await reminders.add(user_id, created.event.id, NOW)
    moved = await service.save(draft(days=4), Origin(7), NOW)
    again = await service.save(draft(days=4), Origin(7), NOW)
    assert (created.change, moved.change, again.change) == ("created", "updated", "unchanged")
    assert (moved.told, again.told) == (2, 0)
    notices = [item for item in deliveries.pending() if item.kind == "event_notice"]
    assert sorted(item.user_id for item in notices) == [5, 6]
    assert [(row[1], row[2]["told"]) for row in audit.rows] == [
        ("event_created", 0),
        ("event_updated", 2),
        ("event_updated", 0),
    ]
    assert (uow.opened, uow.commits, uow.rollbacks) == (3, 3, 0)
    cancelled = await service.cancel(created.event.id, Origin(7), NOW)
    assert cancelled is not None and cancelled.told == 2 and not cancelled.event.active
    assert audit.rows[-1][1] == "event_cancelled"
    assert await service.cancel(999, Origin(7), NOW) is None
    assert (uow.opened, uow.commits, uow.rollbacks) == (5, 4, 1)


async def test_an_import_failing_halfway_leaves_nothing_behind() -> None:
    """One unit of work for the whole file: the first draft's event, audit row and notices go
    when the second fails (the fake puts every store back at the rollback, as the database
    would)."""

    class FailingOn(MemoryEvents):
        async def store(self, draft: EventDraft, by: int | None, now: dt.datetime) -> StoredEvent:
            if draft.key == "broken":
                raise RuntimeError("the store failed")
            return await super().store(draft, by, now)

    events, audit = FailingOn(), MemoryAudit()
    uow = FakeUnitOfWork(events=events, audit=audit)
    service = EventService(uow, fake_bus())
    kept = await service.save(draft("kept"), Origin(7), NOW)
    with pytest.raises(RuntimeError):
        await service.save_all([draft("first"), draft("broken")], Origin(7), NOW)
    assert [record.draft.key for record in events.rows.values()] == ["kept"]
    assert [row[1] for row in audit.rows] == ["event_created"]
    assert await events.get(kept.event.id) == kept.event
    assert (uow.opened, uow.commits, uow.rollbacks) == (2, 1, 1)
