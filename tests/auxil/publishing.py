"""The dashboard's events, announcements and scam-alert pages on memory fakes: the services the
chat and the command line use (EventService, AnnouncementService, AlertService) on a
FakeUnitOfWork whose audit log is the dashboard's, and files to import."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.services.alerts import AlertService
from bot.services.announcements import AnnouncementService
from bot.services.events import EventService
from bot.web.tools import AnnouncementTools, EventTools
from tests.auxil.dashboard import FakeDashboard
from tests.fakes.alerts import MemoryAlertOptIns, MemoryAlerts, PlainNotices
from tests.fakes.core import (
    MemoryBroadcasts,
    MemoryDeliveries,
    MemoryEvents,
    MemoryReminders,
    MemoryUsers,
)
from tests.fakes.unit_of_work import FakeUnitOfWork, fake_bus

SOFIA = ZoneInfo("Europe/Sofia")


@dataclass
class Publishing:
    events: MemoryEvents
    reminders: MemoryReminders
    deliveries: MemoryDeliveries
    broadcasts: MemoryBroadcasts
    alerts: MemoryAlerts
    units: FakeUnitOfWork


def with_publishing(fake: FakeDashboard, audience_size: int = 3) -> Publishing:
    """Gives `fake` the events, announcements and alerts pages; the stores behind them."""
    events, deliveries = MemoryEvents(), MemoryDeliveries()
    reminders, broadcasts = MemoryReminders(MemoryUsers()), MemoryBroadcasts(audience_size)
    units = FakeUnitOfWork(
        events=events,
        reminders=reminders,
        deliveries=deliveries,
        roles=fake.roles,
        audit=fake.audit,
        broadcasts=broadcasts,
    )
    bus = fake_bus()
    fake.services.events = EventTools(EventService(units, bus), events)
    fake.services.announcements = AnnouncementTools(
        AnnouncementService(units, bus), broadcasts, deliveries, events, SOFIA
    )
    alerts = MemoryAlerts()
    opt_ins = MemoryAlertOptIns()
    alert_units = FakeUnitOfWork(audit=fake.audit, alerts=alerts, alert_opt_ins=opt_ins)
    fake.services.alerts = AlertService(
        alert_units,
        bus,
        alerts,
        opt_ins,
        PlainNotices(),
        tuple(fake.services.catalog.languages),
        fake.clock,
    )
    return Publishing(events, reminders, deliveries, broadcasts, alerts, units)


def event_form(
    region: str = "plovdiv", title: str = "Phishing for shops", **more: str
) -> dict[str, str]:
    """The event form as an organiser fills it in (the start a week after tests' NOW)."""
    fields = {
        "title_en": title,
        "description_en": "How to spot fake invoices and payment requests.",
        "title_bg": "Фишинг за магазини",
        "description_bg": "Как да разпознаем фалшиви фактури и искания за плащане.",
        "start": "2026-10-19T18:00",
        "end": "2026-10-19T20:00",
        "timezone": "Europe/Sofia",
        "region": region,
        "country": "BG",
        "audience": "business",
        "organiser": "CERT Bulgaria",
        "place": "Plovdiv, Trade Fair",
        "online_url": "",
        "link": "",
    }
    fields.update(more)
    return fields


def events_yaml(*rows: tuple[str, str, str]) -> bytes:
    """An import file of events given as (key, region, start)."""
    lines = ["events:"]
    for key, region, start in rows:
        lines += [
            f"  - key: {key}",
            f"    title: {{en: Webinar {key}, bg: Уебинар {key}}}",
            "    description: {en: Passwords and passkeys., bg: Пароли и ключове за достъп.}",
            f'    start: "{start}"',
            f'    end: "{start[:11]}23:00"',
            "    timezone: Europe/Sofia",
            "    online_url: https://example.org/webinar",
            f"    region: {region}",
            "    country: BG",
            "    audience: all",
            "    organiser: CERT Bulgaria",
        ]
    return ("\n".join(lines) + "\n").encode()
