"""Events as tests make them: a draft in the campaign's languages, saved through the ports."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.events import EventDraft, EventText
from bot.core.ports import EventPorts
from tests.fakes.core import FixedClock

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
