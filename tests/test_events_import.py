"""Event files (YAML, CSV, iCalendar) into checked drafts, and drafts out as .ics."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from icalendar import Calendar

from bot.content.catalog import Catalog
from bot.core.events import EventDraft, EventText
from bot.events.calendar import event_ics
from bot.events.importer import (
    FILE,
    ImportResult,
    Place,
    Reason,
    RowError,
    parse_events,
    read_events,
    reason,
    uid_key,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "events" / "samples.yml"
LANGUAGES = ("en", "bg")  # of the events written in this file; data/ has the catalog's
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
SOFIA, BRUSSELS = ZoneInfo("Europe/Sofia"), ZoneInfo("Europe/Brussels")
CSV_COLUMNS = (
    "key", "title_en", "title_bg", "description_en", "description_bg", "start", "end", "timezone",
    "place", "online_url", "region", "country", "audience", "organiser", "link",
)  # fmt: skip


def event_row(key: str, **changes: str) -> dict[str, str]:
    """One good event in the flat CSV shape; `changes` spoil it."""
    row = {
        "key": key,
        "title_en": f"Talk {key}",
        "title_bg": f"Лекция {key}",
        "description_en": "About phishing.",
        "description_bg": "За фишинга.",
        "start": "2027-10-14 10:00",
        "end": "2027-10-14 12:00",
        "timezone": "Europe/Sofia",
        "place": "Sofia",
        "online_url": "",
        "region": "sofia_city",
        "country": "BG",
        "audience": "citizen",
        "organiser": "Sofia library",
        "link": "https://cybersecuritymonth.eu",
    }
    return row | changes


def as_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = CSV_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_yaml(rows: list[dict[str, str]]) -> bytes:
    events = []
    for row in rows:
        event: dict[str, object] = {
            k: v for k, v in row.items() if v and not k.startswith(("title_", "description_"))
        }
        for part in ("title", "description"):
            event[part] = {
                lang: row[f"{part}_{lang}"] for lang in LANGUAGES if row[f"{part}_{lang}"]
            }
        events.append(event)
    return yaml.safe_dump({"events": events}, allow_unicode=True).encode()


def ics(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


GOOD_VEVENT = """
UID:Talk-42@Example.ORG
DTSTART;TZID=Europe/Sofia:20271014T100000
DTEND;TZID=Europe/Sofia:20271014T120000
SUMMARY;LANGUAGE=en:Phishing\\, explained
SUMMARY;LANGUAGE=bg:Фишингът отблизо
DESCRIPTION;LANGUAGE=en:Bring questions.
DESCRIPTION;LANGUAGE=bg-BG:Носете въпроси.
LOCATION:Sofia
URL:https://cybersecuritymonth.eu
ORGANIZER;CN=Sofia library:mailto:events@example.org
X-ECSM-REGION:sofia_city
X-ECSM-COUNTRY:bg
X-ECSM-AUDIENCE:citizen
"""


def shown(result: ImportResult) -> list[tuple[str, tuple[str, ...]]]:
    """Each bad row and its reasons in the developer's form (codes and values)."""
    return [(error.where, error.reasons) for error in result.errors]


def reasons_of(result: ImportResult, where: str) -> tuple[str, ...]:
    return next(error.reasons for error in result.errors if error.where == where)


def test_yaml_events_become_aware_drafts_in_their_own_zone() -> None:
    rows = [
        event_row("talk-sofia"),
        event_row("talk-brussels", timezone="Europe/Brussels", start="2027-10-20T09:00:00+02:00"),
    ]
    rows[1] |= {"end": "2027-10-20 11:00", "place": "", "online_url": "https://example.eu/live"}

    result = parse_events(as_yaml(rows), "yaml", LANGUAGES, NOW)

    assert result.ok, result.errors
    sofia, brussels = result.importable
    assert sofia.start == dt.datetime(2027, 10, 14, 10, 0, tzinfo=SOFIA)
    assert sofia.start.utcoffset() == dt.timedelta(hours=3)
    assert sofia.texts["bg"] == EventText("Лекция talk-sofia", "За фишинга.")
    assert (sofia.place, sofia.online_url, sofia.sample) == ("Sofia", None, False)
    assert brussels.start == dt.datetime(2027, 10, 20, 9, 0, tzinfo=BRUSSELS)
    assert brussels.start.tzinfo == BRUSSELS
    assert brussels.end == dt.datetime(2027, 10, 20, 11, 0, tzinfo=BRUSSELS)
    assert (brussels.place, brussels.online_url) == (None, "https://example.eu/live")


def test_csv_events_import_with_a_byte_order_mark() -> None:
    content = "\ufeff".encode() + as_csv([event_row("talk-one"), event_row("talk-two")])

    result = parse_events(content, "csv", LANGUAGES, NOW)

    assert result.ok, result.errors
    assert [d.key for d in result.drafts] == ["talk-one", "talk-two"]
    draft = result.drafts[0]
    assert draft.texts == {
        "en": EventText("Talk talk-one", "About phishing."),
        "bg": EventText("Лекция talk-one", "За фишинга."),
    }
    assert draft.end == dt.datetime(2027, 10, 14, 12, 0, tzinfo=SOFIA)
    assert (draft.region, draft.country, draft.audience) == ("sofia_city", "BG", "citizen")
    assert (draft.online_url, draft.link) == (None, "https://cybersecuritymonth.eu")


def test_ics_events_take_languages_zone_and_organiser_from_the_properties() -> None:
    utc_event = """
UID:online-nis2
DTSTART:20271020T090000Z
DURATION:PT1H30M
SUMMARY:NIS2 Q&A
X-ECSM-SINGLE-LANGUAGE:TRUE
X-ECSM-ONLINE-URL:https://cybersecuritymonth.eu
LOCATION:https://cybersecuritymonth.eu
X-ECSM-REGION:online
X-ECSM-COUNTRY:EU
X-ECSM-AUDIENCE:business
X-ECSM-ORGANISER:ECSM partners\\, Bulgaria
X-ECSM-SAMPLE:TRUE
"""
    result = parse_events(ics(GOOD_VEVENT, utc_event), "ics", LANGUAGES, NOW)

    assert result.ok, result.errors
    talk, qa = result.drafts
    assert talk.key == "talk-42-example-org"
    assert talk.texts == {
        "en": EventText("Phishing, explained", "Bring questions."),
        "bg": EventText("Фишингът отблизо", "Носете въпроси."),
    }
    assert (talk.timezone, talk.start) == (
        "Europe/Sofia",
        dt.datetime(2027, 10, 14, 10, tzinfo=SOFIA),
    )
    assert (talk.organiser, talk.country, talk.place) == ("Sofia library", "BG", "Sofia")
    assert talk.link == "https://cybersecuritymonth.eu"
    assert (qa.timezone, qa.end - qa.start) == ("UTC", dt.timedelta(minutes=90))
    assert qa.texts["bg"] == qa.texts["en"] == EventText("NIS2 Q&A", "")
    # The online address repeated in LOCATION is not a place.
    assert (qa.place, qa.online_url) == (None, "https://cybersecuritymonth.eu")
    assert (qa.organiser, qa.sample) == ("ECSM partners, Bulgaria", True)


def test_an_untagged_summary_counts_for_the_first_language_only() -> None:
    event = GOOD_VEVENT.replace("SUMMARY;LANGUAGE=en:", "SUMMARY:").replace(
        "SUMMARY;LANGUAGE=bg:Фишингът отблизо\n", ""
    )

    result = parse_events(ics(event), "ics", LANGUAGES, NOW)

    assert result.errors == (
        RowError(
            Place("vevent", 1, "Talk-42@Example.ORG"),
            (Reason("missing_language", (("language", "bg"),), checked=True),),
        ),
    )


def test_uid_keys_are_lower_case_safe_and_at_most_64_characters() -> None:
    assert uid_key("Event #7@Example.org") == "event--7-example-org"
    assert uid_key("sample-talk@ecsm-bot") == "sample-talk"
    assert len(uid_key("x" * 100)) == 64


WHERE = {
    "csv": ["row 2", "row 4", "row 5"],
    "yaml": ["event 2 (key 'in-the-past')", "event 4 (key 'backwards')", "event 5 (key 'nowhere')"],
}


@pytest.mark.parametrize("kind", ["csv", "yaml"])
def test_bad_rows_are_all_reported_and_nothing_is_importable(kind: str) -> None:
    rows = [
        event_row("good-one"),
        event_row("in-the-past", start="2026-10-14 10:00", link="http://example.org"),
        event_row("good-two"),
        event_row("backwards", end="2027-10-14 09:00", title_bg=""),
        event_row("nowhere", timezone="Europe/Atlantis"),
        event_row("good-three"),
    ]
    content = as_csv(rows) if kind == "csv" else as_yaml(rows)

    result = parse_events(content, kind, LANGUAGES, NOW)

    assert not result.ok
    assert result.importable == ()
    assert [d.key for d in result.drafts] == ["good-one", "good-two", "good-three"]
    assert [e.where for e in result.errors] == WHERE[kind]
    past, backwards, nowhere = (e.reasons for e in result.errors)
    assert set(past) == {"start_in_past", "bad_url (field=link)"}
    assert set(backwards) == {"missing_language (language=bg)", "end_before_start"}
    assert nowhere == ("unknown_timezone (zone=Europe/Atlantis)",)


def test_every_reading_problem_of_a_row_is_reported() -> None:
    row = event_row("a", start="2026-13-01 10:00", end="soon", audience="", country="Bulgaria")

    result = parse_events(as_csv([row]), "csv", LANGUAGES, NOW)

    (error,) = result.errors
    assert error.where == "row 1"
    assert error.reasons[0] == "start: not_a_time (value=2026-13-01 10:00)"
    assert error.reasons[1] == "end: not_a_time (value=soon)"
    assert "audience: missing" in error.reasons
    assert "bad_key (key=a)" in error.reasons
    assert "bad_country (country=Bulgaria)" in error.reasons
    # Unreadable times are reported once, not again as past or backwards.
    assert not any(r.startswith(("start_in_past", "end_before", "naive")) for r in error.reasons)


@pytest.mark.parametrize("zone", ["Europe", "Mars/Olympus", "x" * 300])
def test_an_unknown_timezone_is_reported_without_crashing(zone: str) -> None:
    result = parse_events(as_csv([event_row("talk-x", timezone=zone)]), "csv", LANGUAGES, NOW)

    assert shown(result) == [("row 1", (f"unknown_timezone (zone={zone[:64]})",))]


def test_yaml_unknown_fields_are_errors_with_a_hint() -> None:
    content = as_yaml([event_row("talk-typo")]).replace(b"organiser:", b"organizer:")

    result = parse_events(content, "yaml", LANGUAGES, NOW)

    assert result.errors == (
        RowError(
            Place("event", 1, "talk-typo"),
            (
                reason("unknown_field_guess", name="organizer", guess="organiser"),
                reason("missing", "organiser"),
            ),
        ),
    )


def test_yaml_keeps_country_codes_and_times_as_written() -> None:
    # Plain YAML 1.1 would make NO false and the times UTC-less datetimes or dates.
    content = """
events:
  - key: talk-oslo
    title: {en: Oslo talk, bg: Лекция в Осло}
    description: {en: '', bg: ''}
    start: 2027-10-14 10:00:00
    end: 2027-10-14 11:00
    timezone: Europe/Oslo
    place: Oslo
    region: eu
    country: NO
    audience: all
    organiser: Oslo library
    sample: yes
"""
    result = parse_events(content.encode(), "yaml", LANGUAGES, NOW)

    assert result.ok, result.errors
    (draft,) = result.drafts
    assert (draft.country, draft.sample) == ("NO", True)
    assert draft.start == dt.datetime(2027, 10, 14, 10, 0, tzinfo=ZoneInfo("Europe/Oslo"))


def test_a_key_used_twice_is_an_error() -> None:
    result = parse_events(as_csv([event_row("talk-a"), event_row("talk-a")]), "csv", LANGUAGES, NOW)

    assert shown(result) == [("row 2", ("key: key_used (key=talk-a, other=row 1)",))]
    assert result.errors[0].problems[0].other == Place("row", 1)


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("yaml", b"events: [\n  - key: x\n"),
        ("yaml", b"- just\n- a list\n"),
        ("yaml", b""),
        ("yaml", b"events: []\n"),
        ("yaml", b"events: []\nevnts: []\n"),
        ("yaml", b"\xff\xfe\x00"),
        ("csv", b""),
        ("csv", b"\xff\xfe key,title_en\n"),
        ("csv", as_csv([event_row("talk-a")]) + b'"talk-b,"unterminated\n'),
        ("csv", as_csv([])),
        ("ics", b"this is not a calendar"),
        ("ics", b""),
        ("ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"),
        ("ics", b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n"),
        ("ics", ics()),
    ],
)
def test_malformed_files_give_one_file_error(kind: str, content: bytes) -> None:
    result = parse_events(content, kind, LANGUAGES, NOW)

    assert result.drafts == ()
    assert [e.where for e in result.errors] == ["file"]
    assert result.errors[0].reasons


def test_csv_missing_a_column_names_it() -> None:
    columns = tuple(c for c in CSV_COLUMNS if c != "title_bg")

    result = parse_events(as_csv([event_row("talk-a")], columns), "csv", LANGUAGES, NOW)

    assert result.errors == (RowError(FILE, (reason("missing_column", name="title_bg"),)),)


def test_csv_unknown_columns_are_errors() -> None:
    content = as_csv([event_row("talk-a")]).replace(b",link\n", b",lnik\n", 1)

    result = parse_events(content, "csv", LANGUAGES, NOW)

    assert shown(result) == [("file", ("unknown_column_guess (name=lnik, guess=link)",))]


def test_all_day_ics_events_are_refused() -> None:
    event = GOOD_VEVENT.replace(
        "DTSTART;TZID=Europe/Sofia:20271014T100000", "DTSTART;VALUE=DATE:20271014"
    ).replace("DTEND;TZID=Europe/Sofia:20271014T120000", "DTEND;VALUE=DATE:20271015")

    result = parse_events(ics(event), "ics", LANGUAGES, NOW)

    assert result.errors == (
        RowError(Place("vevent", 1, "Talk-42@Example.ORG"), (reason("all_day"),)),
    )


def test_ics_problems_name_the_properties() -> None:
    event = "\n".join(
        line
        for line in GOOD_VEVENT.strip().splitlines()
        if not line.startswith(("UID", "ORGANIZER", "X-ECSM-AUDIENCE"))
    ).replace("TZID=Europe/Sofia:20271014T1200", "TZID=Europe/Sofia:2027101")
    recurring = GOOD_VEVENT.replace("UID:Talk-42", "UID:Talk-43") + "RRULE:FREQ=WEEKLY\n"

    result = parse_events(ics(event, recurring), "ics", LANGUAGES, NOW)

    (first, second) = result.errors
    assert first.where == "VEVENT 1"
    assert {r.split(":")[0] for r in first.reasons} == {
        "DTEND",
        "UID",
        "X-ECSM-AUDIENCE",
        "ORGANIZER",
    }
    assert second.reasons == ("recurring",)


def sample_draft(**changes: Any) -> EventDraft:
    draft = EventDraft(
        key="sample-roundtrip",
        texts={
            "en": EventText("Passwords, MFA; and you", "Line one.\nLine two, with commas."),
            "bg": EventText("Пароли и двуфакторна автентикация", "Примерно събитие."),
        },
        start=dt.datetime(2027, 10, 14, 10, 30, tzinfo=SOFIA),
        end=dt.datetime(2027, 10, 14, 12, 30, tzinfo=SOFIA),
        timezone="Europe/Sofia",
        region="plovdiv",
        country="BG",
        audience="citizen",
        organiser="Plovdiv volunteers, sample",
        place="Plovdiv",
        online_url="https://cybersecuritymonth.eu",
        link="https://cybersecuritymonth.eu",
        sample=True,
    )
    return dataclasses.replace(draft, **changes)


@pytest.mark.parametrize("language", ["en", "bg"])
def test_export_then_import_gives_the_same_event_in_that_language(language: str) -> None:
    draft = sample_draft()

    result = parse_events(event_ics(draft, language), "ics", (language,), NOW)

    assert result.ok, result.errors
    assert result.drafts == (dataclasses.replace(draft, texts={language: draft.texts[language]}),)


def test_export_of_an_online_event_in_utc_round_trips() -> None:
    start = dt.datetime(2027, 10, 20, 9, 0, tzinfo=dt.UTC)
    draft = sample_draft(
        place=None, timezone="UTC", start=start, end=start + dt.timedelta(hours=1), sample=False
    )

    (back,) = parse_events(event_ics(draft, "en"), "ics", ("en",), NOW).drafts

    assert back == dataclasses.replace(draft, texts={"en": draft.texts["en"]})


def test_export_is_a_publishable_calendar_with_zone_and_reminder() -> None:
    draft = sample_draft(start=sample_draft().start.astimezone(dt.UTC))

    calendar = Calendar.from_ical(event_ics(draft, "bg", sequence=3))

    assert (str(calendar["PRODID"]), str(calendar["VERSION"])) == ("-//ecsm-bot//EN", "2.0")
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Sofia"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "sample-roundtrip@ecsm-bot"
    assert event["DTSTART"].params["TZID"] == "Europe/Sofia"
    assert event.decoded("DTSTART") == dt.datetime(2027, 10, 14, 10, 30, tzinfo=SOFIA)
    assert str(event["SUMMARY"]) == "Пароли и двуфакторна автентикация"
    assert event["SUMMARY"].params["LANGUAGE"] == "bg"
    assert (str(event["LOCATION"]), str(event["URL"])) == ("Plovdiv", draft.link)
    assert (event.decoded("SEQUENCE"), str(event["STATUS"])) == (3, "CONFIRMED")
    assert "DTSTAMP" in event
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -dt.timedelta(hours=1)


def test_export_falls_back_to_another_language_and_marks_cancellations() -> None:
    draft = sample_draft(texts={"bg": EventText("Само на български", "")})

    content = event_ics(draft, "en", cancelled=True, sequence=1)

    (event,) = Calendar.from_ical(content).walk("VEVENT")
    assert (str(event["SUMMARY"]), event["SUMMARY"].params["LANGUAGE"]) == (
        "Само на български",
        "bg",
    )
    assert str(event["STATUS"]) == "CANCELLED"
    # Importing a cancelled event would bring it back to life.
    reasons = parse_events(content, "ics", ("bg",), NOW).errors[0].reasons
    assert reasons == ("STATUS: cancelled",)


def test_read_events_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "events.CSV"
    path.write_bytes(as_csv([event_row("talk-a")]))

    assert read_events(path, LANGUAGES, NOW).ok
    with pytest.raises(ValueError, match=r"events\.txt"):
        read_events(tmp_path / "events.txt", LANGUAGES, NOW)
    with pytest.raises(ValueError, match="xml"):
        parse_events(b"", "xml", LANGUAGES, NOW)


def test_the_sample_events_import_cleanly_and_are_marked_as_samples(catalog: Catalog) -> None:
    result = read_events(SAMPLES, list(catalog.languages), NOW)

    assert result.ok, result.errors
    assert len(result.importable) == 5
    for draft in result.importable:
        assert draft.sample is True
        assert draft.key.startswith("sample-")
        assert (draft.start.year, draft.start.month) == (2027, 10)
        assert draft.texts["en"].description.startswith("Sample event")
        assert draft.texts["bg"].description.startswith("Примерно събитие")
    assert any(d.organiser.startswith("ECSO") for d in result.importable)


# --- the place and the organiser in each language ------------------------------------------

LOCAL = {
    "place": {"en": "Sofia", "bg": "София"},
    "organiser": {"en": "Library", "bg": "Библиотека"},
}


def local_texts() -> dict[str, EventText]:
    return {
        "en": EventText("Talk talk-local", "About phishing.", "Sofia", "Library"),
        "bg": EventText("Лекция talk-local", "За фишинга.", "София", "Библиотека"),
    }


def test_yaml_place_and_organiser_per_language_or_one_for_all() -> None:
    data = yaml.safe_load(as_yaml([event_row("talk-local"), event_row("talk-plain")]))
    data["events"][0] |= LOCAL
    content = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()

    result = parse_events(content, "yaml", LANGUAGES, NOW)

    assert result.ok, result.errors
    local, plain = result.drafts
    assert local.texts == local_texts()
    # The first one given stands for languages without their own.
    assert (local.place, local.organiser) == ("Sofia", "Library")
    assert (local.place_in("bg", "en"), local.organiser_in("bg", "en")) == ("София", "Библиотека")
    assert (plain.place_in("bg", "en"), plain.organiser_in("bg", "en")) == (
        "Sofia",
        "Sofia library",
    )


def test_csv_place_and_organiser_columns_per_language() -> None:
    row = event_row("talk-local") | {"place_bg": "София", "organiser_bg": "Библиотека"}
    row |= {"place": "Sofia", "organiser": "Library"}

    result = parse_events(
        as_csv([row], (*CSV_COLUMNS, "place_bg", "organiser_bg")), "csv", LANGUAGES, NOW
    )

    assert result.ok, result.errors
    (draft,) = result.drafts
    assert draft.texts["bg"] == local_texts()["bg"]
    assert draft.texts["en"] == EventText("Talk talk-local", "About phishing.")
    assert (draft.place_in("en", "en"), draft.organiser_in("en", "en")) == ("Sofia", "Library")
    assert (draft.place_in("bg", "en"), draft.organiser_in("bg", "en")) == ("София", "Библиотека")


def test_ics_place_and_organiser_tagged_with_a_language() -> None:
    event = GOOD_VEVENT.replace("LOCATION:Sofia", "LOCATION;LANGUAGE=bg:София").replace(
        "ORGANIZER;CN=Sofia library:mailto:events@example.org",
        "ORGANIZER;CN=Библиотека;LANGUAGE=bg:mailto:events@example.org",
    )

    result = parse_events(ics(event), "ics", LANGUAGES, NOW)

    assert result.ok, result.errors
    (draft,) = result.drafts
    assert (draft.place, draft.organiser) == ("София", "Библиотека")
    assert (draft.texts["bg"].place, draft.texts["bg"].organiser) == ("София", "Библиотека")
    assert draft.texts["en"].place is None


@pytest.mark.parametrize("kind", ["yaml", "csv"])
def test_a_place_in_a_language_without_a_title_is_refused(kind: str) -> None:
    if kind == "yaml":
        data = yaml.safe_load(as_yaml([event_row("talk-local")]))
        data["events"][0]["place"] = {"en": "Sofia", "de": "Sofia (Stadt)"}
        content = yaml.safe_dump(data, allow_unicode=True).encode()
        where = "event 1 (key 'talk-local')"
    else:
        row = event_row("talk-local") | {"organiser_de": "Bibliothek"}
        content = as_csv([row], (*CSV_COLUMNS, "organiser_de"))
        where = "row 1"

    result = parse_events(content, kind, LANGUAGES, NOW)

    assert not result.importable
    (reason,) = reasons_of(result, where)
    assert reason in (
        "place.de: no_title_in (language=de)",
        "organiser.de: no_title_in (language=de)",
    )


def test_export_then_import_keeps_the_place_and_organiser_of_that_language() -> None:
    draft = sample_draft(texts=local_texts(), place="Sofia", organiser="Library")

    content = event_ics(draft, "bg")
    (back,) = parse_events(content, "ics", ("bg",), NOW).drafts

    (event,) = Calendar.from_ical(content).walk("VEVENT")
    assert (str(event["LOCATION"]), event["LOCATION"].params["LANGUAGE"]) == ("София", "bg")
    assert back.texts == {"bg": local_texts()["bg"]}
    assert (back.place_in("bg", "en"), back.organiser_in("bg", "en")) == ("София", "Библиотека")
    assert back.organiser == "Library"  # the organiser for every language comes back too


def test_the_samples_name_place_and_organiser_in_bulgarian(catalog: Catalog) -> None:
    (*drafts,) = read_events(SAMPLES, list(catalog.languages), NOW).importable
    places = {d.key: d.place_in("bg", "en") for d in drafts if d.place}
    assert places["sample-scams-talk-sofia"] == "София"
    assert places["sample-passwords-mfa-plovdiv"] == "Пловдив"
    for draft in drafts:
        for text in (draft.place_in("bg", "en") or "", draft.organiser_in("bg", "en")):
            # Cyrillic, not an English name left over ("ECSO" may stay Latin inside).
            assert not text or any("а" <= c.lower() <= "я" for c in text), (draft.key, text)
        assert draft.organiser_in("en", "en") == draft.organiser
    plovdiv = next(d for d in drafts if d.key == "sample-passwords-mfa-plovdiv")
    assert plovdiv.organiser_in("bg", "en") == "Доброволци за дигитални умения – Пловдив (примерно)"
