"""AlertService on memory fakes: publishing, editing and retiring alerts, audited with who did
it; what is refused; matching a received message (in the asker's language, counted, refreshed
after a change, an edit at once; typed in Latin letters, read as the bot reads it); opting in
and out."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pytest

from bot.content.catalog import Catalog
from bot.content.typing import load_readers
from bot.core.alerts import AlertContent, AlertDraft, AlertStatus
from bot.core.latin_typing import read_message
from bot.core.roles import NotAllowed, Staff
from bot.services.alerts import AlertRefused, AlertService
from bot.services.events import Origin
from tests.auxil.alert_dev import load_dev_set
from tests.fakes.alerts import MemoryAlertOptIns, MemoryAlerts, PlainNotices
from tests.fakes.core import FixedClock, MemoryAudit
from tests.fakes.unit_of_work import FakeUnitOfWork, fake_bus

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
DEV = load_dev_set()
WAVE = DEV.waves[0]  # the "new number" message, in Bulgarian
COURIER = DEV.waves[1]  # the courier-fee texts
DATA = Path(__file__).resolve().parent.parent / "data"
BG = AlertContent(
    "Нов номер", "Съобщение от „дете“ с нов номер", "Обадете се на стария номер", WAVE.examples
)
EN = AlertContent("New number", "A 'child' with a new number", "Call their old number", ())
DRAFT = AlertDraft({"bg": BG, "en": EN}, "bg", "https://www.cybercrime.bg/")
ORGANISER = Origin(42, {"via": "chat"})
COMMAND_LINE = Origin(None, {"via": "cli", "os_user": "ops"})


@pytest.fixture
def parts() -> tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock]:
    store, opt_ins, audit, clock = (
        MemoryAlerts(),
        MemoryAlertOptIns(),
        MemoryAudit(),
        FixedClock(T0),
    )
    units = FakeUnitOfWork(alerts=store, alert_opt_ins=opt_ins, audit=audit)
    service = AlertService(units, fake_bus(), store, opt_ins, PlainNotices(), ("en", "bg"), clock)
    return service, store, audit, clock


async def test_publishing_stores_the_message_for_each_language_and_audits_who(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock],
) -> None:
    service, store, audit, _clock = parts
    alert = await service.create(DRAFT, ORGANISER, T0)
    assert alert.status is AlertStatus.PUBLISHED and alert.published == T0.date()
    assert alert.created_by == 42
    # Each of the bot's languages gets its message; the alert's own text where it has one.
    texts = {language: payload["text"] for language, payload in store.payloads[alert.id].items()}
    assert texts == {
        "en": "[en] New number: Call their old number (2026-12-06)",
        "bg": "[bg] Нов номер: Обадете се на стария номер (2026-12-06)",
    }
    assert [(actor, action, details) for actor, action, details in audit.rows] == [
        (42, "alert_created", {"via": "chat", "alert_id": alert.id, "title": "Нов номер"}),
        (42, "alert_published", {"via": "chat", "alert_id": alert.id, "title": "Нов номер"}),
    ]
    # Created, published and audited in one transaction.
    units = service.units
    assert isinstance(units, FakeUnitOfWork) and (units.opened, units.commits) == (1, 1)
    # Publishing again does nothing and leaves no trace.
    assert await service.publish(alert.id, ORGANISER, T0) is None
    assert len(audit.rows) == 2 and units.commits == 1


async def test_a_draft_is_published_later_edited_and_retired_each_audited(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock],
) -> None:
    service, store, audit, _clock = parts
    draft = await service.create(DRAFT, COMMAND_LINE, T0, publish=False)
    assert draft.status is AlertStatus.DRAFT and draft.id not in store.payloads
    published = await service.publish(draft.id, COMMAND_LINE, T0)
    assert published is not None and published.status is AlertStatus.PUBLISHED
    edited = await service.edit(
        draft.id, AlertDraft({"bg": BG}, "bg"), ORGANISER, T0 + dt.timedelta(hours=1)
    )
    assert edited is not None and set(edited.content) == {"bg"}
    retired = await service.retire(draft.id, ORGANISER, T0 + dt.timedelta(days=3))
    assert retired is not None and retired.status is AlertStatus.RETIRED
    assert await service.retire(draft.id, ORGANISER, T0) is not None  # twice: no second entry
    assert await service.retire(99, ORGANISER, T0) is None
    assert await service.edit(draft.id, DRAFT, ORGANISER, T0) is None
    assert [(actor, action) for actor, action, _ in audit.rows] == [
        (None, "alert_created"),
        (None, "alert_published"),
        (42, "alert_edited"),
        (42, "alert_retired"),
    ]
    assert audit.rows[0][2]["os_user"] == "ops"  # the command line says who ran it
    assert [a.id for a in await service.find([AlertStatus.RETIRED])] == [draft.id]


@pytest.mark.parametrize(
    ("draft", "code", "field"),
    [
        (AlertDraft({"bg": BG}, "en"), "default_language", ""),
        (AlertDraft({"bg": AlertContent("", "x", "y", ("z",))}, "bg"), "missing", "title"),
        (AlertDraft({"bg": AlertContent("t", "x", "y", ())}, "bg"), "missing", "examples"),
        (AlertDraft({"bg": BG}, "bg", "ftp://x"), "url", "source_url"),
        (AlertDraft({"de": BG, "bg": BG}, "bg"), "language", ""),
    ],
)
async def test_what_cannot_be_an_alert_is_refused_and_nothing_is_stored(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock],
    draft: AlertDraft,
    code: str,
    field: str,
) -> None:
    service, store, audit, _clock = parts
    with pytest.raises(AlertRefused) as refused:
        await service.create(draft, ORGANISER, T0)
    assert (refused.value.problem.code, refused.value.problem.field) == (code, field)
    assert store.rows == {} and audit.rows == []


async def test_a_copy_of_a_published_wave_is_matched_in_the_askers_language_and_counted(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock],
) -> None:
    service, _store, _audit, _clock = parts
    draft = await service.create(DRAFT, ORGANISER, T0, publish=False)
    assert await service.match(WAVE.variants[0], "en") is None  # a draft matches nothing
    await service.publish(draft.id, ORGANISER, T0)
    found = await service.match(WAVE.variants[2], "en")
    assert found is not None
    assert (found.alert_id, found.title, found.advice, found.published) == (
        draft.id, "New number", "Call their old number", T0.date()
    )  # fmt: skip
    assert await service.match("Честит рожден ден, мамо! Обичам те.", "bg") is None
    counted = await service.get(draft.id)
    assert counted is not None and counted.matches == 1

    await service.retire(draft.id, ORGANISER, T0)
    assert await service.match(WAVE.variants[2], "en") is None


async def test_published_alerts_are_read_once_a_minute_or_after_a_change_here(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock],
) -> None:
    service, store, _audit, clock = parts
    alert = await service.create(DRAFT, ORGANISER, T0)
    for _ in range(3):
        await service.match(WAVE.variants[0], "bg")
    assert store.reads == 1
    # Another process retires it: this one notices within the minute.
    await store.retire(alert.id, T0)
    assert await service.match(WAVE.variants[0], "bg") is not None
    clock.advance(seconds=61)
    assert await service.match(WAVE.variants[0], "bg") is None
    assert store.reads == 2


async def test_an_edit_here_takes_effect_for_matching_at_once(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock],
) -> None:
    service, store, audit, _clock = parts
    alert = await service.create(DRAFT, ORGANISER, T0)
    assert await service.match(WAVE.variants[0], "bg") is not None
    # The organiser replaces the examples: the old wave's copies no longer match, the new
    # one's do, without waiting for the minute's re-read.
    courier = AlertContent("Такса за пратка", "SMS за такса", "Не плащайте", COURIER.examples)
    edited = await service.edit(alert.id, AlertDraft({"bg": courier}, "bg"), ORGANISER, T0)
    assert edited is not None and edited.status is AlertStatus.PUBLISHED
    assert await service.match(WAVE.variants[0], "bg") is None
    found = await service.match(COURIER.variants[0], "bg")
    assert found is not None and (found.alert_id, found.title) == (alert.id, "Такса за пратка")
    assert store.reads == 2
    assert [action for _, action, _ in audit.rows][-1] == "alert_edited"
    # A published alert's edit is not sent again: the message queued at publishing stays.
    assert "Нов номер" in store.payloads[alert.id]["bg"]["text"]


async def test_a_copy_typed_in_latin_letters_is_matched_as_the_bot_reads_it(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock], catalog: Catalog
) -> None:
    _service, store, _audit, clock = parts
    readers = load_readers(DATA, catalog.languages)
    read = functools.partial(read_message, languages=catalog.languages, readers=readers)
    units = FakeUnitOfWork(alerts=store)
    service = AlertService(
        units, fake_bus(), store, MemoryAlertOptIns(), PlainNotices(), ("en", "bg"), clock,
        read=read,
    )  # fmt: skip
    alert = await service.create(DRAFT, ORGANISER, T0)
    latin = "zdravei mamo, tova e noviqt mi nomer, stariqt telefon padna vav vodata. zapishi si go"
    found = await service.match(latin + " i mi pishi vav viber, spe6no e", "en")
    assert found is not None and found.alert_id == alert.id
    assert await service.match("mamo, shte zakasneq za vecherq, telefonat mi e na 5%", "en") is None
    counted = await service.get(alert.id)
    assert counted is not None and counted.matches == 1


async def test_opting_in_and_out(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock],
) -> None:
    service, _store, _audit, _clock = parts
    assert not await service.opted_in(7)
    assert await service.set_opt_in(7, True, T0)
    assert not await service.set_opt_in(7, True, T0)
    assert await service.opted_in(7)
    assert await service.set_opt_in(7, False, T0)
    assert not await service.opted_in(7)


@pytest.mark.parametrize(
    "staff",
    [Staff(7, "viewer"), Staff(8, "organiser", frozenset({"plovdiv"}))],
    ids=["viewer", "regional organiser"],
)
async def test_the_service_refuses_what_the_role_does_not_cover(
    parts: tuple[AlertService, MemoryAlerts, MemoryAudit, FixedClock], staff: Staff
) -> None:
    """An alert belongs to no region: a viewer and an organiser scoped to regions change none,
    whichever entrypoint asks; an organiser of every region and an admin may."""
    service, store, audit, _clock = parts
    who = Origin(staff.user_id, {"via": "dashboard"}, staff=staff)
    with pytest.raises(NotAllowed):
        await service.create(DRAFT, who, T0)
    drafted = await service.create(DRAFT, Origin(9, staff=Staff(9, "organiser")), T0, publish=False)
    for attempt in (
        service.publish(drafted.id, who, T0),
        service.edit(drafted.id, DRAFT, who, T0),
        service.retire(drafted.id, who, T0),
    ):
        with pytest.raises(NotAllowed):
            await attempt
    assert store.rows[drafted.id].status is AlertStatus.DRAFT
    assert [action for _, action, _ in audit.rows] == ["alert_created"]
    admin = Origin(1, staff=Staff(1, "admin", frozenset({"plovdiv"})))
    assert await service.publish(drafted.id, admin, T0) is not None
