"""An import's problems in the reader's language (the dashboard's events page, `ecsm-bot events
import`): the importer's codes (bot/events/importer.py) worded by data/ui's import.* texts, and
check_draft's problems by event.problem.*, as the chat words them. Plain text: the page's
template escapes it again, the terminal shows it as it is."""

from __future__ import annotations

from collections.abc import Iterable

from bot.content.catalog import Catalog
from bot.core.events import Problem
from bot.events.importer import Place, Reason, RowError
from bot.text.markup import to_plain

# A YAML event and an iCalendar VEVENT are named by their key or UID when they have one.
_NAMED = frozenset({"event", "vevent"})


def place_words(catalog: Catalog, lang: str, place: Place) -> str:
    """ "row 3", "event 2 (key …)", "VEVENT 4 (UID …)", "the file", in `lang`."""
    key = f"import.where.{place.kind}"
    if place.kind in _NAMED and place.name is not None:
        key += "_named"
    return to_plain(catalog.text(lang, key, number=place.number, name=place.name or ""))


def problem_words(catalog: Catalog, lang: str, problem: Problem) -> str:
    """An event's problem as the chat words it (event.problem.* in data/ui), in plain text."""
    values = dict(problem.values)
    if "language" in values and values["language"] in catalog.languages:
        values["language"] = catalog.languages[values["language"]].native_name
    key = f"event.problem.{problem.code}"
    if "max" in values:  # a limit: the words agree with it ("at most 1 character")
        return to_plain(catalog.plural(lang, key, int(values.pop("max")), **values))
    return to_plain(catalog.text(lang, key, **values))


def reason_words(catalog: Catalog, lang: str, reason: Reason) -> str:
    if reason.checked:
        return problem_words(catalog, lang, Problem(reason.code, dict(reason.values)))
    values: dict[str, object] = dict(reason.values)
    if reason.other is not None:
        values["place"] = place_words(catalog, lang, reason.other)
    words = to_plain(catalog.text(lang, f"import.reason.{reason.code}", **values))
    if not reason.field:
        return words
    # The column, field or property as the file names it, then what is wrong with it.
    return to_plain(catalog.text(lang, "import.about", field=reason.field, reason=words))


def error_words(catalog: Catalog, lang: str, error: RowError) -> tuple[str, list[str]]:
    """Where, and every reason, worded."""
    place = place_words(catalog, lang, error.place)
    return place, [reason_words(catalog, lang, reason) for reason in error.problems]


def error_lines(catalog: Catalog, lang: str, errors: Iterable[RowError]) -> list[str]:
    """A line per bad row: "row 3: start: …; audience: …" (import.line of data/ui)."""
    lines = []
    for error in errors:
        place, reasons = error_words(catalog, lang, error)
        lines.append(
            to_plain(catalog.text(lang, "import.line", where=place, reasons="; ".join(reasons)))
        )
    return lines
