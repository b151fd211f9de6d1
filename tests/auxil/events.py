"""Events as tests make them: a draft in the campaign's languages, saved through the ports."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.domain_events import EventChanged
from bot.core.events import EventDraft, EventText
from bot.core.ports import EventPorts, EventRecord
from bot.dialogue.router import Dialogue
from bot.services.handlers import TellWhoAsked
from tests.fakes.core import FixedClock
from tests.fakes.unit_of_work import FakeUnitOfWork

SOFIA = ZoneInfo("Europe/Sofia")


def draft(
    key: str = "webinar-phishing", days: int = 3, region: str = "plovdiv", **kw: object
) -> EventDraft:
    start = dt.datetime(2026, 10, 5, 10, 0, tzinfo=SOFIA) + dt.timedelta(days=days)
    values: dict[str, object] = {
        "key": key,
        "texts": {
            "en": EventText(f"Phishing for shops {key}", "How to spot fake invoices."),
            "bg": EventText(f"Фишинг за магазини {key}", "Как да разпознаем фалшиви фактури."),
        },
        "start": start,
        "end": start + dt.timedelta(hours=2),
        "timezone": "Europe/Sofia",
        "region": region,
        "country": "BG",
        "audience": "business",
        "organiser": "CERT Bulgaria",
        "place": "Plovdiv, Trade Fair",
    }
    values.update(kw)
    return EventDraft(**values)  # type: ignore[arg-type]


async def add_event(ports: EventPorts, clock: FixedClock, d: EventDraft) -> int:
    return (await ports.events.save(d, None, clock.now())).id


async def tell_who_asked(
    dialogue: Dialogue, ports: EventPorts, event: EventRecord, now: dt.datetime
) -> int:
    """What saving a changed event runs (the message bus's handler of EventChanged), with the
    dialogue's events feature writing the notices: how many people were told."""
    handler = TellWhoAsked(dialogue.features.events)
    return await handler(EventChanged(event, now), FakeUnitOfWork.of(ports))
