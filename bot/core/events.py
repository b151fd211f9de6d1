"""Events of the campaign as plain data, and the checks every event passes before it is stored,
whichever way it came in (the /newevent conversation, `ecsm-bot events import`, data/events/).

Problems are codes with values, so that each channel words them in its own language
(`event.problem.<code>` in data/ui).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

# Whom an event is for; "all": citizens and businesses alike (not the audiences of tips).
EVENT_AUDIENCES = ("citizen", "business", "all")
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
TITLE_MAX, DESCRIPTION_MAX, PLACE_MAX, REGION_MAX, ORGANISER_MAX = 120, 1500, 200, 60, 120


@dataclass(frozen=True, slots=True)
class Length:
    least: int  # the shortest answer the /newevent wizard takes (a typo, not an event, is shorter)
    most: int  # the longest check_draft stores, whichever way the event came in


# The wizard asks for these one at a time and holds each answer to the limit check_draft holds.
LENGTHS = {
    "title": Length(3, TITLE_MAX),
    "description": Length(10, DESCRIPTION_MAX),
    "place": Length(2, PLACE_MAX),
    "organiser": Length(2, ORGANISER_MAX),
}


@dataclass(frozen=True, slots=True)
class EventText:
    title: str
    description: str
    # The place and the organiser in this language ("София"), where they are written otherwise
    # than in EventDraft.place and EventDraft.organiser.
    place: str | None = None
    organiser: str | None = None


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event as an organiser gives it. Times are aware datetimes in the event's own zone."""

    key: str  # stable id, so that importing the same file twice updates instead of duplicating
    texts: dict[str, EventText]  # language -> title and description (plain text, not HTML)
    start: dt.datetime
    end: dt.datetime
    timezone: str
    region: str
    country: str  # ISO 3166-1 alpha-2, or "EU" for EU-wide and online events
    audience: str  # citizen | business | all
    organiser: str
    place: str | None = None
    online_url: str | None = None
    link: str | None = None
    sample: bool = False

    def text_in(self, language: str, fallback: str) -> EventText:
        """The title and description in `language`, else in `fallback` (the default language),
        else in any language the event has: an event stored before a language was added has
        no text in it."""
        return (
            self.texts.get(language) or self.texts.get(fallback) or next(iter(self.texts.values()))
        )

    def place_in(self, language: str, fallback: str) -> str | None:
        """The place in `language`, else in `fallback` (the default language), else as given
        for every language."""
        return self._local(language, fallback, "place") or self.place

    def organiser_in(self, language: str, fallback: str) -> str:
        """The organiser's name like place_in() gives the place."""
        return self._local(language, fallback, "organiser") or self.organiser

    def _local(self, language: str, fallback: str, name: str) -> str | None:
        for lang in (language, fallback):
            text = self.texts.get(lang)
            value = getattr(text, name) if text is not None else None
            if value:
                return str(value)
        return None


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    values: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        details = ", ".join(f"{k}={v}" for k, v in self.values.items())
        return f"{self.code} ({details})" if details else self.code


def valid_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: "Europe" is a directory of the tz database, and over-long names fail too.
        return False
    return True


def _https(url: str | None) -> bool:
    return url is None or bool(re.fullmatch(r"https://[^\s<>\"']{4,500}", url))


def check_draft(
    draft: EventDraft,
    now: dt.datetime,
    languages: Iterable[str],
    regions: Collection[str] | None = None,
) -> list[Problem]:
    """Every reason the event cannot be stored; empty when it can. `regions`, when given, are
    the known region keys (data/regions.yml)."""
    problems: list[Problem] = []
    if regions is not None and draft.region not in regions:
        problems.append(Problem("unknown_region", {"region": draft.region[:60]}))
    if not KEY.match(draft.key):
        problems.append(Problem("bad_key", {"key": draft.key[:70]}))
    for language in languages:
        text = draft.texts.get(language)
        if text is None or not text.title.strip():
            problems.append(Problem("missing_language", {"language": language}))
            continue
        if len(text.title) > TITLE_MAX:
            problems.append(
                Problem("title_too_long", {"language": language, "max": str(TITLE_MAX)})
            )
        if len(text.description) > DESCRIPTION_MAX:
            problems.append(
                Problem("description_too_long", {"language": language, "max": str(DESCRIPTION_MAX)})
            )
    if not valid_zone(draft.timezone):
        problems.append(Problem("unknown_timezone", {"zone": draft.timezone[:64]}))
    if draft.start.tzinfo is None or draft.end.tzinfo is None:
        problems.append(Problem("naive_time"))
    else:
        if draft.start <= now:
            problems.append(Problem("start_in_past"))
        if draft.end <= draft.start:
            problems.append(Problem("end_before_start"))
    if draft.audience not in EVENT_AUDIENCES:
        problems.append(Problem("bad_audience", {"audience": draft.audience[:20]}))
    if not draft.place and not draft.online_url:
        problems.append(Problem("no_place"))
    for name, url in (("online_url", draft.online_url), ("link", draft.link)):
        if not _https(url):
            problems.append(Problem("bad_url", {"field": name}))
    if not re.fullmatch(r"[A-Z]{2}", draft.country):
        problems.append(Problem("bad_country", {"country": draft.country[:10]}))
    lengths = [
        ("region", draft.region, REGION_MAX),
        ("organiser", draft.organiser, ORGANISER_MAX),
        ("place", draft.place or "", PLACE_MAX),
    ]
    for language, text in draft.texts.items():
        lengths.append((f"organiser.{language}", text.organiser or "", ORGANISER_MAX))
        lengths.append((f"place.{language}", text.place or "", PLACE_MAX))
    for name, value, limit in lengths:
        if len(value) > limit:
            problems.append(Problem("too_long", {"field": name, "max": str(limit)}))
    if not draft.region.strip():
        problems.append(Problem("missing_field", {"field": "region"}))
    if not draft.organiser.strip():
        problems.append(Problem("missing_field", {"field": "organiser"}))
    return problems
