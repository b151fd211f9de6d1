"""EventDraft as plain values and back: one codec for the database and the importers."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from bot.core.event_codec import draft_of, draft_values
from bot.core.events import EventDraft, EventText

SOFIA = ZoneInfo("Europe/Sofia")


def _draft() -> EventDraft:
    return EventDraft(
        key="webinar-phishing",
        texts={
            "en": EventText("Phishing webinar", "How to spot it", "Sofia", "CERT Bulgaria"),
            "bg": EventText("Уебинар за фишинга", "Как да го разпознаем"),
        },
        start=dt.datetime(2026, 10, 8, 18, 0, tzinfo=SOFIA),
        end=dt.datetime(2026, 10, 8, 19, 0, tzinfo=SOFIA),
        timezone="Europe/Sofia",
        region="sofia_city",
        country="BG",
        audience="all",
        organiser="CERT България",
        place="София",
        online_url="https://cybersecuritymonth.eu",
        link=None,
        sample=True,
    )


def test_a_draft_comes_back_as_it_went_in() -> None:
    draft = _draft()
    assert draft_of(draft_values(draft)) == draft


def test_texts_are_plain_values_without_empty_places() -> None:
    values = draft_values(_draft())
    # As the database's JSON column holds them: a text without its own place has no key for it,
    # so rows stored before per-language places equal a re-import of the same file.
    assert json.loads(json.dumps(values["texts"])) == {
        "en": {
            "title": "Phishing webinar",
            "description": "How to spot it",
            "place": "Sofia",
            "organiser": "CERT Bulgaria",
        },
        "bg": {"title": "Уебинар за фишинга", "description": "Как да го разпознаем"},
    }
