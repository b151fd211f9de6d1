"""Organisers' event files (YAML, CSV, iCalendar) read into drafts, each checked with
`check_draft` like an event entered in the chat.

A file is imported whole or not at all: `ImportResult.importable` is empty as soon as one row has
a problem, and every problem of every row is reported at once, so that an organiser fixes the
file in one go instead of one error per attempt.

Problems are codes with their values (`Place`, `Reason`), not sentences: the dashboard and the
command line word them in the reader's language from data/ui (import.* texts, and check_draft's
event.problem.*; bot/events/import_words.py). Their str() is the developer's and the log's form.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import io
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from icalendar import Calendar, Component, vUnknown
from icalendar.parser import unescape_backslash

from bot.core.event_codec import FIELDS
from bot.core.events import EventDraft, EventText, Problem, check_draft, valid_zone

KINDS = {".yml": "yaml", ".yaml": "yaml", ".csv": "csv", ".ics": "ics"}
KEY_MAX = 64


@dataclass(frozen=True, slots=True)
class Place:
    """Where a problem is: a CSV row, a YAML event or an iCalendar VEVENT (numbered from 1, with
    its key or UID when it has one), or the file as a whole (import.where.* in data/ui)."""

    kind: str  # "row" (CSV), "event" (YAML), "vevent" (ics), "file"
    number: int = 0
    name: str | None = None  # the YAML event's key, the VEVENT's UID

    def __str__(self) -> str:
        # "row 3", "event 2 (key 'abc')", "VEVENT 4 (UID 'x')", "file"
        label = {"row": "row", "event": "event", "vevent": "VEVENT"}.get(self.kind)
        if label is None:
            return self.kind
        tag = {"event": "key", "vevent": "UID"}.get(self.kind)
        if tag and self.name is not None:
            return f"{label} {self.number} ({tag} {self.name!r})"
        return f"{label} {self.number}"


FILE = Place("file")


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing wrong: `code` is import.reason.<code> of data/ui with `values`, or, `checked`,
    check_draft's event.problem.<code>. `field` is what it is about as the file names it (a
    column, a YAML field, an iCalendar property), shown as written; `other` a second place (the
    row that already uses a key)."""

    code: str
    values: tuple[tuple[str, str], ...] = ()
    field: str = ""
    checked: bool = False
    other: Place | None = None

    def __str__(self) -> str:
        values = [*self.values, *((("other", str(self.other)),) if self.other else ())]
        details = ", ".join(f"{name}={value}" for name, value in values)
        text = f"{self.code} ({details})" if details else self.code
        return f"{self.field}: {text}" if self.field else text


def reason(code: str, field: str = "", other: Place | None = None, **values: object) -> Reason:
    return Reason(code, _pairs(values), field, other=other)


def _pairs(values: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple((name, str(value)) for name, value in values.items())


@dataclass(frozen=True, slots=True)
class RowError:
    place: Place
    problems: tuple[Reason, ...]

    @property
    def where(self) -> str:
        return str(self.place)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(str(problem) for problem in self.problems)

    def __str__(self) -> str:
        return f"{self.where}: {'; '.join(self.reasons)}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """`drafts` holds only the rows that passed; store `importable`, which is all or nothing."""

    drafts: tuple[EventDraft, ...]
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def importable(self) -> tuple[EventDraft, ...]:
        return self.drafts if self.ok else ()


def read_events(
    path: Path,
    languages: Sequence[str],
    now: dt.datetime,
    regions: Collection[str] | None = None,
) -> ImportResult:
    """Raises ValueError for a file type we do not read and OSError when the file cannot be
    read; anything wrong inside the file is reported in the result instead. `regions`, when
    given, are the known region keys every event must use."""
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"cannot import events from {path.name!r}: the file must end in {', '.join(KINDS)}"
        )
    return parse_events(path.read_bytes(), kind, languages, now, regions)


def parse_events(
    content: bytes,
    kind: str,
    languages: Sequence[str],
    now: dt.datetime,
    regions: Collection[str] | None = None,
) -> ImportResult:
    """`kind` is "yaml", "csv" or "ics"; any other kind is a ValueError."""
    reader = _READERS.get(kind)
    if reader is None:
        raise ValueError(f"unknown event file kind {kind!r}: use one of {', '.join(_READERS)}")
    wanted = tuple(languages)
    try:
        rows = reader(content, wanted)
    except _FileError as error:
        return ImportResult((), (RowError(FILE, error.reasons),))
    return _check_rows(rows, wanted, now, regions)


class _FileError(Exception):
    """The file as a whole cannot be read; no row is worth reporting on its own."""

    def __init__(self, *reasons: Reason) -> None:
        super().__init__(*map(str, reasons))
        self.reasons = reasons


@dataclass(slots=True)
class _Row:
    """One event as read, before the checks. A field named in `failed` could not be read, so
    check_draft's complaints about its placeholder value would only repeat the reason."""

    where: Place
    key: str = ""
    texts: dict[str, EventText] = field(default_factory=dict)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    timezone: str = ""
    region: str = ""
    country: str = ""
    audience: str = ""
    organiser: str = ""
    place: str | None = None
    online_url: str | None = None
    link: str | None = None
    sample: bool = False
    # language -> the place or organiser in that language (EventText.place, .organiser)
    places: dict[str, str] = field(default_factory=dict)
    organisers: dict[str, str] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def fail(
        self, name: str, code: str | None = None, label: str | None = None, **values: object
    ) -> None:
        """`name` (a draft field) could not be read; `code` says why (import.reason.*), about
        `label` as the file calls it (a column or property), else `name`."""
        self.failed.add(name)
        if code is not None:
            self.reasons.append(Reason(code, _pairs(values), label or name))


# ---------------------------------------------------------------- checks shared by all formats

_BLAME: dict[str, frozenset[str]] = {
    "bad_key": frozenset({"key"}),
    "missing_language": frozenset({"title"}),
    "title_too_long": frozenset({"title"}),
    "description_too_long": frozenset({"description"}),
    "unknown_timezone": frozenset({"timezone"}),
    "naive_time": frozenset({"start", "end"}),
    "start_in_past": frozenset({"start"}),
    "end_before_start": frozenset({"start", "end"}),
    "bad_audience": frozenset({"audience"}),
    "no_place": frozenset({"place", "online_url"}),
    "bad_country": frozenset({"country"}),
    "unknown_region": frozenset({"region"}),
}


def _blamed(problem: Problem) -> set[str]:
    blamed = set(_BLAME.get(problem.code, ()))
    if "field" in problem.values:
        blamed.add(problem.values["field"])
    if "language" in problem.values:
        part = "description" if problem.code.startswith("description") else "title"
        blamed.add(f"{part}.{problem.values['language']}")
    return blamed


def _check_rows(
    rows: list[_Row],
    languages: Sequence[str],
    now: dt.datetime,
    regions: Collection[str] | None,
) -> ImportResult:
    if not rows:
        return ImportResult((), (RowError(FILE, (reason("no_events"),)),))
    drafts: list[EventDraft] = []
    errors: list[RowError] = []
    first_seen: dict[str, Place] = {}
    for row in rows:
        draft = _draft(row, now)
        reasons = [*row.reasons, *_problems(row, draft, languages, now, regions)]
        if row.key and "key" not in row.failed:
            # Keys make a second import update the first; two rows with one key would
            # silently overwrite each other.
            earlier = first_seen.setdefault(row.key, row.where)
            if earlier != row.where:
                reasons.append(reason("key_used", "key", other=earlier, key=row.key))
        if reasons:
            errors.append(RowError(row.where, tuple(dict.fromkeys(reasons))))
        else:
            drafts.append(draft)
    return ImportResult(tuple(drafts), tuple(errors))


def _problems(
    row: _Row,
    draft: EventDraft,
    languages: Sequence[str],
    now: dt.datetime,
    regions: Collection[str] | None,
) -> list[Reason]:
    if "event" in row.failed:
        return []  # nothing of the row could be read, so every check would fail
    problems = check_draft(draft, now, languages, regions)
    return [
        Reason(problem.code, tuple(problem.values.items()), checked=True)
        for problem in problems
        if not _blamed(problem) & row.failed
    ]


def _draft(row: _Row, now: dt.datetime) -> EventDraft:
    zone = ZoneInfo(row.timezone) if valid_zone(row.timezone) else None
    values = {name: getattr(row, name) for name in FIELDS}
    # In this order: each may find a fault in the row, and the faults are listed as found.
    values["texts"] = _local_texts(row)
    values["start"] = _in_zone(row, "start", row.start, zone, now)
    values["end"] = _in_zone(row, "end", row.end, zone, now)
    return EventDraft(**values)


def _local_texts(row: _Row) -> dict[str, EventText]:
    """The titles and descriptions with the place and organiser of each language added."""
    texts = dict(row.texts)
    for name, values in (("place", row.places), ("organiser", row.organisers)):
        for language, value in values.items():
            if language not in texts:
                # A language is one the event has a title in; a place alone would be shown
                # to nobody, or with an empty title.
                row.fail(f"{name}.{language}", "no_title_in", language=language)
                continue
            texts[language] = dataclasses.replace(texts[language], **{name: value})
    return texts


def _in_zone(
    row: _Row, name: str, value: dt.datetime | None, zone: ZoneInfo | None, placeholder: dt.datetime
) -> dt.datetime:
    if value is None:
        return placeholder
    if zone is None:
        if value.tzinfo is None:
            # A local time in an unknown zone is no instant; unknown_timezone says why.
            row.fail(name)
            return placeholder
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=zone, fold=0)
    return value.astimezone(zone)


# ------------------------------------------------------------- values shared by YAML and CSV

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0", ""}


def _text(row: _Row, name: str, value: object, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            row.fail(name, "missing")
        return None
    if not isinstance(value, str):
        row.fail(name, "not_text", value=repr(value))
        return None
    return value.strip()


def _time(row: _Row, name: str, value: object) -> dt.datetime | None:
    text = _text(row, name, value)
    if text is None:
        return None
    try:
        if not _TIME.match(text):
            raise ValueError(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        row.fail(name, "not_a_time", value=text)
        return None


def _flag(row: _Row, name: str, value: object) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    row.fail(name, "not_a_flag", value=repr(value))
    return False


def _fill(row: _Row, raw: Mapping[str, object]) -> None:
    row.key = _text(row, "key", raw.get("key")) or ""
    row.start = _time(row, "start", raw.get("start"))
    row.end = _time(row, "end", raw.get("end"))
    row.timezone = _text(row, "timezone", raw.get("timezone")) or ""
    row.region = _text(row, "region", raw.get("region")) or ""
    row.country = _country(_text(row, "country", raw.get("country")))
    row.audience = _text(row, "audience", raw.get("audience")) or ""
    organiser, row.organisers = _localised(row, "organiser", raw.get("organiser"))
    row.organiser = organiser or ""
    row.place, row.places = _localised(row, "place", raw.get("place"), required=False)
    row.online_url = _text(row, "online_url", raw.get("online_url"), required=False)
    row.link = _text(row, "link", raw.get("link"), required=False)
    row.sample = _flag(row, "sample", raw.get("sample"))


def _localised(
    row: _Row, name: str, value: object, required: bool = True
) -> tuple[str | None, dict[str, str]]:
    """A text written the same in every language ("ECSO"), or one per language
    ({en: Sofia, bg: София}); then the first one listed stands for the languages without one."""
    if not isinstance(value, dict):
        return _text(row, name, value, required), {}
    texts = {language: text for language, text in _by_language(row, name, value).items() if text}
    if not texts and required:
        row.fail(name, "missing")
    return next(iter(texts.values()), None), texts


def _country(code: str | None) -> str:
    # ISO codes are case-insensitive; check_draft wants them upper-case.
    return code.upper() if code and len(code) == 2 else code or ""


def _unknown(names: Iterable[str], allowed: Iterable[str], what: str = "field") -> list[Reason]:
    """unknown_field / unknown_column, with the closest known name when there is one."""
    known = list(allowed)
    reasons = []
    for name in names:
        if name in known:
            continue
        guess = difflib.get_close_matches(name, known, n=1)
        if guess:
            reasons.append(reason(f"unknown_{what}_guess", name=name, guess=guess[0]))
        else:
            reasons.append(reason(f"unknown_{what}", name=name))
    return reasons


# ------------------------------------------------------------------------------------- YAML

_YAML_FIELDS = (
    "key", "title", "description", "start", "end", "timezone", "place", "online_url", "region",
    "country", "audience", "organiser", "link", "sample",
)  # fmt: skip
_BOOL_TAG, _TIMESTAMP_TAG = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """Safe YAML where times stay text, to be read in the event's own zone, and only true/false
    are booleans, so that `country: NO` stays Norway."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _load_yaml(content: bytes) -> Any:
    loader = _Loader(content)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_rows(content: bytes, languages: Sequence[str]) -> list[_Row]:
    try:
        data = _load_yaml(content)
    except yaml.YAMLError as error:
        raise _FileError(reason("not_yaml", detail=error)) from error
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise _FileError(reason("no_events_list"))
    extra = _unknown(map(str, data), ["events"])
    if extra:
        raise _FileError(*extra)
    return [_yaml_row(number, item) for number, item in enumerate(data["events"], start=1)]


def _yaml_row(number: int, item: object) -> _Row:
    if not isinstance(item, dict):
        row = _Row(Place("event", number))
        row.fail("event", "not_a_mapping", value=f"{item!r:.60}")
        return row
    key = item.get("key")
    row = _Row(Place("event", number, key if isinstance(key, str) else None))
    row.reasons.extend(_unknown(map(str, item), _YAML_FIELDS))
    _fill(row, item)
    row.texts = _yaml_texts(row, item.get("title"), item.get("description"))
    return row


def _yaml_texts(row: _Row, titles: object, descriptions: object) -> dict[str, EventText]:
    title = _by_language(row, "title", titles)
    description = _by_language(row, "description", descriptions)
    return {
        language: EventText(title.get(language, ""), description.get(language, ""))
        for language in title | description
    }


def _by_language(row: _Row, name: str, value: object) -> dict[str, str]:
    if value is None:
        row.fail(name, "missing")
        return {}
    if not isinstance(value, dict):
        row.fail(name, "not_per_language")
        return {}
    texts: dict[str, str] = {}
    for language, text in value.items():
        if not isinstance(text, str | None):
            row.fail(f"{name}.{language}", "not_text", value=repr(text))
            continue
        texts[str(language)] = (text or "").strip()
    return texts


# -------------------------------------------------------------------------------------- CSV

_CSV_REQUIRED = (
    "key", "start", "end", "timezone", "region", "country", "audience", "organiser",
)  # fmt: skip
_CSV_OPTIONAL = ("place", "online_url", "link", "sample")
_CSV_TEXT = re.compile(r"(title|description)_([a-z]{2,3})")
# The place and the organiser in one language, where it is written otherwise than in `place`
# and `organiser` (e.g. place_bg: София).
_CSV_LOCAL = re.compile(r"(place|organiser)_([a-z]{2,3})")


def _csv_rows(content: bytes, languages: Sequence[str]) -> list[_Row]:
    try:
        # utf-8-sig: spreadsheet programs often put a byte-order mark first.
        text = content.decode("utf-8-sig")
        lines = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except UnicodeDecodeError as error:
        raise _FileError(reason("not_utf8", detail=error)) from error
    except csv.Error as error:
        raise _FileError(reason("not_csv", detail=error)) from error
    lines = [cells for cells in lines if any(cell.strip() for cell in cells)]
    if not lines:
        raise _FileError(reason("no_header"))
    header = [name.strip().lower() for name in lines[0]]
    _check_header(header, languages)
    return [_csv_row(number, header, cells) for number, cells in enumerate(lines[1:], start=1)]


def _check_header(header: list[str], languages: Sequence[str]) -> None:
    texts = [f"{part}_{language}" for language in languages for part in ("title", "description")]
    required = [*_CSV_REQUIRED[:1], *texts, *_CSV_REQUIRED[1:]]
    reasons = [reason("missing_column", name=name) for name in required if name not in header]
    known = [*required, *_CSV_OPTIONAL]
    reasons += _unknown(
        (n for n in header if not (_CSV_TEXT.fullmatch(n) or _CSV_LOCAL.fullmatch(n))),
        known,
        "column",
    )
    reasons += [reason("column_twice", name=name) for name in sorted(_twice(header))]
    if reasons:
        raise _FileError(*reasons)


def _twice(names: list[str]) -> set[str]:
    return {name for name in names if names.count(name) > 1}


def _csv_row(number: int, header: list[str], cells: list[str]) -> _Row:
    row = _Row(Place("row", number))
    if len(cells) > len(header):
        row.reasons.append(reason("too_many_values", values=len(cells), columns=len(header)))
    raw = dict(zip(header, cells, strict=False))
    _fill(row, raw)
    languages = sorted({m[2] for name in raw if (m := _CSV_TEXT.fullmatch(name))})
    row.texts = {
        language: EventText(
            raw.get(f"title_{language}", "").strip(),
            raw.get(f"description_{language}", "").strip(),
        )
        for language in languages
    }
    for name, cell in raw.items():
        if (match := _CSV_LOCAL.fullmatch(name)) and cell.strip():
            local = row.places if match[1] == "place" else row.organisers
            local[match[2]] = cell.strip()
    return row


# ------------------------------------------------------------------------------- iCalendar

_ICS_FIELDS = {
    "UID": "key",
    "SUMMARY": "title",
    "DESCRIPTION": "description",
    "DTSTART": "start",
    "DTEND": "end",
    "DURATION": "end",
    "LOCATION": "place",
    "URL": "link",
    "X-ECSM-ONLINE-URL": "online_url",
    "X-ECSM-REGION": "region",
    "X-ECSM-COUNTRY": "country",
    "X-ECSM-AUDIENCE": "audience",
    "X-ECSM-ORGANISER": "organiser",
    "ORGANIZER": "organiser",
    "X-ECSM-SAMPLE": "sample",
}
OWN_UID_SUFFIX = "@ecsm-bot"


def uid_key(uid: str) -> str:
    """The event key for an iCalendar UID. Our own exports' suffix is dropped, so that
    re-importing an exported event updates it instead of creating a second one."""
    uid = uid.removesuffix(OWN_UID_SUFFIX)
    return re.sub(r"[^a-z0-9-]", "-", uid.strip().lower())[:KEY_MAX]


def _ics_rows(content: bytes, languages: Sequence[str]) -> list[_Row]:
    try:
        calendars = Calendar.from_ical(content, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise _FileError(reason("not_ics", detail=error)) from error
    if not calendars or any(c.name != "VCALENDAR" for c in calendars):
        raise _FileError(reason("no_vcalendar"))
    events = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    return [_ics_row(number, event, languages) for number, event in enumerate(events, start=1)]


def _ics_row(number: int, event: Component, languages: Sequence[str]) -> _Row:
    uid = _ics_text(event, "UID")
    row = _Row(Place("vevent", number, uid or None))
    broken: set[str] = set()
    for name, message in event.errors:
        label = (name or "property").upper()
        broken.add(label)
        # icalendar's own words for what it could not parse (English only).
        row.fail(_ICS_FIELDS.get(label, label.lower()), "ics_value", label=label, detail=message)
    if uid is None:
        row.fail("key", "missing", label="UID")
    row.key = uid_key(uid or "")
    _ics_times(row, event, broken)
    row.texts = _ics_texts(event, languages)
    _ics_details(row, event)
    _ics_unsupported(row, event)
    return row


def _ics_details(row: _Row, event: Component) -> None:
    row.online_url = _ics_text(event, "X-ECSM-ONLINE-URL")
    location, row.places = _ics_local(event, "LOCATION")
    # Our exports put the online address in LOCATION when there is no place.
    row.place = location if location != row.online_url else None
    row.link = _ics_text(event, "URL")
    row.region = _ics_text(event, "X-ECSM-REGION") or ""
    row.country = _country(_ics_text(event, "X-ECSM-COUNTRY"))
    row.audience = _ics_text(event, "X-ECSM-AUDIENCE") or ""
    row.organiser, row.organisers = _ics_organiser(event)
    row.sample = _flag(row, "sample", _ics_text(event, "X-ECSM-SAMPLE"))
    missing = {
        "X-ECSM-REGION": ("region", row.region),
        "X-ECSM-COUNTRY": ("country", row.country),
        "X-ECSM-AUDIENCE": ("audience", row.audience),
        "ORGANIZER": ("organiser", row.organiser),
    }
    for label, (name, value) in missing.items():
        if not value:
            row.fail(name, "missing", label=label)


def _ics_unsupported(row: _Row, event: Component) -> None:
    if "RRULE" in event or "RDATE" in event:
        row.reasons.append(reason("recurring"))
    if (_ics_text(event, "STATUS") or "").upper() == "CANCELLED":
        row.reasons.append(reason("cancelled", "STATUS"))


def _ics_organiser(event: Component) -> tuple[str, dict[str, str]]:
    """ORGANIZER's CN (its LANGUAGE, if any, is the name's), else our X-ECSM-ORGANISER."""
    names = [
        (str(p.params["CN"]).strip(), p.params.get("LANGUAGE"))
        for p in _all(event.get("ORGANIZER"))
        if str(p.params.get("CN") or "").strip()
    ]
    if not names:
        neutral, local = _ics_local(event, "X-ECSM-ORGANISER")
        return neutral or "", local
    neutral, local = _neutral_and_local(names)
    return neutral or "", local


def _ics_local(event: Component, name: str) -> tuple[str | None, dict[str, str]]:
    """A property given once for every language, or once per language (LOCATION;LANGUAGE=bg:
    София); without an untagged one, the first tagged one stands for the other languages."""
    values = []
    for prop in _all(event.get(name)):
        text = _ics_value(prop)
        if text:
            values.append((text, prop.params.get("LANGUAGE") if hasattr(prop, "params") else None))
    return _neutral_and_local(values)


def _neutral_and_local(values: list[tuple[str, Any]]) -> tuple[str | None, dict[str, str]]:
    local: dict[str, str] = {}
    for text, language in values:
        if language:
            # "bg-BG" is Bulgarian for us.
            local.setdefault(str(language).split("-")[0].lower(), text)
    untagged = next((text for text, language in values if not language), None)
    return untagged or next((text for text, _ in values), None), local


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _ics_text(event: Component, name: str) -> str | None:
    value = _first(event.get(name))
    if value is None or isinstance(value, list):
        return None
    return _ics_value(value)


def _ics_value(value: Any) -> str | None:
    # icalendar keeps properties it does not know (X-...) verbatim, but RFC 5545 makes their
    # default type TEXT, escapes included.
    text = str(unescape_backslash(value)) if isinstance(value, vUnknown) else str(value)
    return text.strip() or None


def _ics_texts(event: Component, languages: Sequence[str]) -> dict[str, EventText]:
    single = (_ics_text(event, "X-ECSM-SINGLE-LANGUAGE") or "").upper() == "TRUE"
    title = _ics_languages(event, "SUMMARY", languages, single)
    description = _ics_languages(event, "DESCRIPTION", languages, single)
    return {
        language: EventText(title.get(language, ""), description.get(language, ""))
        for language in title | description
    }


def _ics_languages(
    event: Component, name: str, languages: Sequence[str], single: bool
) -> dict[str, str]:
    tagged: dict[str, str] = {}
    untagged: str | None = None
    for prop in _all(event.get(name)):
        language = prop.params.get("LANGUAGE")
        if language:
            # "bg-BG" is Bulgarian for us.
            tagged.setdefault(str(language).split("-")[0].lower(), str(prop).strip())
        elif untagged is None:
            untagged = str(prop).strip()
    if untagged is not None:
        # Without the organiser's word that the file is single-language, an untagged text is
        # one language only, so that missing translations are reported rather than faked.
        for language in languages if single else languages[:1]:
            tagged.setdefault(language, untagged)
    return tagged


def _all(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ics_times(row: _Row, event: Component, broken: set[str]) -> None:
    row.start, start_zone = _ics_time(row, event, "DTSTART", broken)
    if "DTEND" not in event and "DURATION" in event:
        row.end, end_zone = _ics_end_after(row, event, broken), start_zone
    else:
        row.end, end_zone = _ics_time(row, event, "DTEND", broken)
    zone = start_zone or end_zone
    if zone is None:
        row.fail("timezone")  # the times' own reasons say why
    row.timezone = zone or ""


def _ics_end_after(row: _Row, event: Component, broken: set[str]) -> dt.datetime | None:
    duration = None if "DURATION" in broken else event.decoded("DURATION")
    if row.start is None or not isinstance(duration, dt.timedelta):
        row.fail("end")  # DTSTART's or DURATION's own reason says why
        return None
    return row.start + duration


def _ics_time(
    row: _Row, event: Component, name: str, broken: set[str]
) -> tuple[dt.datetime | None, str | None]:
    field_name = _ICS_FIELDS[name]
    prop = _first(event.get(name))
    if prop is None or name in broken:
        if prop is None:
            row.fail(field_name, "missing", label=name)
        return None, None
    value = prop.dt
    if not isinstance(value, dt.datetime):
        row.fail(field_name)
        row.reasons.append(reason("all_day"))
        return None, None
    return value, _ics_zone(row, name, value, prop.params.get("TZID"))


def _ics_zone(row: _Row, name: str, value: dt.datetime, tzid: object) -> str | None:
    if tzid:
        zone = str(tzid)
        # icalendar maps some non-IANA TZIDs (Windows names) to a real zone.
        if not valid_zone(zone) and isinstance(value.tzinfo, ZoneInfo):
            return value.tzinfo.key
        return zone
    if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
        return "UTC"
    row.fail(_ICS_FIELDS[name], "no_zone", label=name)
    return None


_READERS: dict[str, Callable[[bytes, Sequence[str]], list[_Row]]] = {
    "yaml": _yaml_rows,
    "csv": _csv_rows,
    "ics": _ics_rows,
}
