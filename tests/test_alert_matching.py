"""Scam-alert matching (bot/core/alerts.py) on the dev examples it was tuned on
(tests/auxil/alert_dev.yml): copies with other amounts, names, numbers, links and lookalike
letters match their own wave, and so do copies typed in Latin letters once read as the bot reads
them (the real typing table and word lists, data/typing); genuine notices, chat and the bot's
own answers match none."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path

import pytest

from bench.alert_matching import answer_texts
from bot.content.catalog import Catalog
from bot.content.typing import load_readers
from bot.core import alerts
from bot.core.alerts import AlertContent, AlertIndex, AlertStatus, ScamAlert
from bot.core.latin_typing import read_message
from tests.auxil.alert_dev import PUBLISHED, load_dev_set

DATA = Path(__file__).resolve().parent.parent / "data"

DEV = load_dev_set()
INDEX = AlertIndex(DEV.alerts())
COPIES = [
    pytest.param(number, variant, id=f"{wave.name}-{position}")
    for number, wave in enumerate(DEV.waves, start=1)
    for position, variant in enumerate(wave.variants)
]
LATIN_COPIES = [
    pytest.param(number, copy, id=f"{wave.name}-latin-{position}")
    for number, wave in enumerate(DEV.waves, start=1)
    for position, copy in enumerate(wave.latin)
]


@pytest.fixture(scope="module")
def read(catalog: Catalog) -> alerts.Reading:
    """The bot's reading of Latin-typed text, on the real typing table and word lists."""
    readers = load_readers(DATA, catalog.languages)
    return functools.partial(read_message, languages=catalog.languages, readers=readers)


@pytest.fixture(scope="module")
def reading_index(read: alerts.Reading) -> AlertIndex:
    """The dev alerts matched the way the bot does: with its reading of Latin-typed text."""
    return AlertIndex(DEV.alerts(), read)


@pytest.mark.parametrize(("alert_id", "variant"), COPIES)
def test_a_copy_of_a_wave_matches_its_alert(alert_id: int, variant: str) -> None:
    found = INDEX.match(variant, "bg")
    assert found is not None, variant
    assert found.alert_id == alert_id
    assert found.similarity >= alerts.THRESHOLD
    assert found.published == PUBLISHED


@pytest.mark.parametrize("message", DEV.unrelated)
def test_an_unrelated_message_matches_nothing(message: str) -> None:
    assert INDEX.match(message, "bg") is None


def test_the_bots_own_answers_about_the_same_scams_match_nothing() -> None:
    texts = answer_texts()
    assert len(texts) > 100
    assert [text[:60] for text in texts if INDEX.match(text, "en")] == []


@pytest.mark.parametrize(("alert_id", "copy"), LATIN_COPIES)
def test_a_copy_typed_in_latin_letters_matches_the_wave_published_in_cyrillic(
    reading_index: AlertIndex, alert_id: int, copy: str
) -> None:
    found = reading_index.match(copy, "en")
    assert found is not None, copy
    assert found.alert_id == alert_id
    # Compared letter by letter with the Cyrillic examples, it would not be recognised.
    assert INDEX.match(copy, "en") is None


def test_an_example_pasted_in_latin_letters_matches_copies_in_either_script(
    read: alerts.Reading,
) -> None:
    latin_example = (
        "Zdravei mamo, tova e noviqt mi nomer, stariqt telefon padna vav vodata. "
        "Zapishi si go i mi pishi vav Viber, speshno e."
    )
    wave = ScamAlert(
        5,
        {"bg": AlertContent("Нов номер", "Дете с нов номер", "Обадете се", (latin_example,))},
        "bg",
        status=AlertStatus.PUBLISHED,
        published=PUBLISHED,
    )
    index = AlertIndex([wave], read)
    for copy in (DEV.waves[0].variants[0], DEV.waves[0].latin[1]):
        found = index.match(copy, "bg")
        assert found is not None and found.alert_id == 5, copy
    assert index.match(DEV.unrelated[3], "bg") is None  # "Мамо, ще закъснея за вечеря..."


def test_reading_latin_letters_matches_nothing_new_and_misses_no_copy(
    reading_index: AlertIndex,
) -> None:
    assert len(LATIN_COPIES) >= 10 and len(DEV.unrelated_latin) >= 10
    genuine = DEV.unrelated + DEV.unrelated_latin + tuple(answer_texts())
    assert [text[:60] for text in genuine if reading_index.match(text, "bg")] == []
    # English copies are not read as Bulgarian, and the Cyrillic ones still match.
    wrong = [
        variant
        for number, wave in enumerate(DEV.waves, start=1)
        for variant in wave.variants
        if getattr(reading_index.match(variant, "bg"), "alert_id", None) != number
    ]
    assert wrong == []


def test_what_changes_from_copy_to_copy_becomes_placeholders() -> None:
    words = alerts.tokens(
        "Платете 1 245,60 лв. на https://nap-bg.top/x?id=2 или www.nap.info, "
        "обадете се на +359 88 123 4567, пишете на nap@mail.bg, код 55123."
    )
    assert words == [
        "платете", alerts.AMOUNT, "на", alerts.URL, "или", alerts.URL,
        "обадете", "се", "на", alerts.PHONE, "пишете", "на", alerts.EMAIL,
        "код", alerts.NUMBER,
    ]  # fmt: skip
    assert alerts.tokens("Pay $2.99 or EUR 3,50 or 4 € now") == [
        "pay", alerts.AMOUNT, "or", alerts.AMOUNT, "or", alerts.AMOUNT, "now"
    ]  # fmt: skip


def test_lookalike_letters_are_read_in_the_words_script() -> None:
    # Latin a, o, e, k, p inside Cyrillic words; Cyrillic а and о inside an English word.
    assert alerts.normalise("Bаша kaрта е блoкирана") == "ваша карта е блокирана"
    assert alerts.normalise("Yоur pаrcel") == "your parcel"
    assert alerts.normalise("H0ВИЯТ н0мер, 3ВЪНЕТЕ") == "новият номер звънете"
    # A word in one script is left alone, whatever its letters look like.
    assert alerts.normalise("Coca cola") == "coca cola"


def _alert(status: AlertStatus, published: dt.date | None = PUBLISHED) -> ScamAlert:
    return ScamAlert(
        7,
        {
            "bg": AlertContent(
                "Нов номер", "Съобщение от „дете“", "Обадете се", DEV.waves[0].examples
            ),
            "en": AlertContent("New number", "A message from a 'child'", "Call them", ()),
        },
        "bg",
        source_url="https://www.cybercrime.bg/",
        status=status,
        published=published,
    )


def test_the_match_is_told_in_the_asked_language_or_the_default() -> None:
    copy = DEV.waves[0].variants[0]
    alert = _alert(AlertStatus.PUBLISHED)
    english = alerts.match(copy, [alert], "en")
    assert english is not None
    assert (english.title, english.advice, english.looks_like) == (
        "New number", "Call them", "A message from a 'child'"
    )  # fmt: skip
    assert english.source_url == "https://www.cybercrime.bg/"
    # A language the alert was not written in falls back to its default language.
    other = alerts.match(copy, [alert], "de")
    assert other is not None and other.title == "Нов номер"


def test_only_published_alerts_match() -> None:
    copy = DEV.waves[0].variants[0]
    assert alerts.match(copy, [_alert(AlertStatus.DRAFT)], "bg") is None
    assert alerts.match(copy, [_alert(AlertStatus.RETIRED)], "bg") is None
    assert alerts.match(copy, [_alert(AlertStatus.PUBLISHED, published=None)], "bg") is None
    assert len(AlertIndex([_alert(AlertStatus.RETIRED), _alert(AlertStatus.PUBLISHED)])) == 1


def test_a_few_words_from_an_example_are_not_a_match() -> None:
    # Every word is in the "new number" example, but they say too little to name the wave.
    assert INDEX.match("Пиши ми във Вайбър", "bg") is None
    assert INDEX.match("спешно е", "bg") is None
    assert INDEX.match("https://econt-dostavka.com/bg 1,20 лв.", "bg") is None


def test_the_best_of_several_matching_alerts_wins() -> None:
    first, second = DEV.alerts()[:2]
    twin = dataclasses.replace(second, id=99, content=first.content)
    found = alerts.match(DEV.waves[0].examples[0], [twin, first], "bg")
    assert found is not None and found.similarity == 100.0


def test_what_organisers_write_is_checked() -> None:
    good = {"bg": AlertContent("Заглавие", "Как изглежда", "Какво да правите", ("пример",))}
    languages = ("en", "bg")
    assert alerts.check(good, "bg", "https://cert.bg/", languages) is None
    assert alerts.check(good, "en", "", languages) == alerts.AlertProblem(
        "default_language", language="en"
    )
    empty_title = {"bg": dataclasses.replace(good["bg"], title=" ")}
    assert alerts.check(empty_title, "bg", "", languages) == alerts.AlertProblem(
        "missing", field="title", language="bg"
    )
    no_examples = {"bg": dataclasses.replace(good["bg"], examples=())}
    assert alerts.check(no_examples, "bg", "", languages) == alerts.AlertProblem(
        "missing", field="examples", language="bg"
    )
    too_long = {"bg": dataclasses.replace(good["bg"], advice="x" * (alerts.TEXT_MAX + 1))}
    assert alerts.check(too_long, "bg", "", languages) == alerts.AlertProblem(
        "too_long", field="advice", language="bg"
    )
    assert alerts.check(good, "bg", "cert.bg", languages) == alerts.AlertProblem(
        "url", field="source_url"
    )
    assert alerts.check({"de": good["bg"], **good}, "bg", "", languages) == alerts.AlertProblem(
        "language", language="de"
    )


def test_an_alert_as_a_file_reads_back_and_edits_change_only_what_is_given() -> None:
    alert = _alert(AlertStatus.PUBLISHED)
    assert alerts.draft_from(alerts.raw_of(alert.draft)) == alert.draft
    edited = alerts.changed(
        alert.draft, "en", advice=" Call their old number ", examples=["a", " "]
    )
    assert edited.content["en"] == AlertContent(
        "New number", "A message from a 'child'", "Call their old number", ("a",)
    )
    assert edited.content["bg"] == alert.content["bg"]
    assert edited.source_url == alert.source_url and edited.default_language == "bg"
    # A language the alert lacks is added with what was given; `check` names what is missing.
    added = alerts.changed(alert.draft, "de", title="Neue Nummer", source_url="")
    assert added.content["de"] == AlertContent("Neue Nummer", "", "")
    assert added.source_url == ""
    assert alerts.check(added.content, "bg", "", ("en", "bg", "de")) == alerts.AlertProblem(
        "missing", field="looks_like", language="de"
    )
