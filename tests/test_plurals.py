"""Every count the bot shows agrees with its number, by the CLDR plural rules of the language,
and a language's file brings the forms its rules need."""

from __future__ import annotations

import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel import Locale

from bot.content.catalog import Catalog, ContentError, load_catalog
from bot.core.messages import Incoming, Outcome
from bot.core.ports import EventPorts
from bot.dialogue.router import Dialogue
from tests.auxil.environment import ORGANISER_ID
from tests.auxil.events import add_event, draft
from tests.fakes.core import FixedClock, MemoryBroadcasts

ROOT = Path(__file__).resolve().parent.parent
USER = 31
# Languages with more plural categories than one/other, to stand in for a third language.
RICHER_LOCALES = ("pl", "ru", "uk", "cs", "lt", "ar")


def _needed(locale: str) -> set[str]:
    return set(Locale.parse(locale).plural_form.tags) | {"other"}


# --- the wording, in the two languages the bot speaks today ---------------------------------

WORDING = [
    ("en", "checklist.length", 1, {}, "1 question."),
    ("en", "checklist.length", 5, {}, "5 questions."),
    ("bg", "checklist.length", 1, {}, "1 въпрос."),
    ("bg", "checklist.length", 5, {}, "5 въпроса."),
    ("en", "ann.preview", 1, {"audience": "all"}, "<b>1</b> person"),
    ("en", "ann.preview", 2, {"audience": "all"}, "<b>2</b> people"),
    ("bg", "ann.preview", 1, {"audience": "всички"}, "Ще го получи <b>1</b> човек"),
    ("bg", "ann.preview", 2, {"audience": "всички"}, "Ще го получат <b>2</b> души"),
    ("en", "ann.confirm_now", 1, {}, "to 1 person now"),
    ("bg", "ann.confirm_now", 1, {}, "на 1 човек сега"),
    ("bg", "ann.confirm_now", 5, {}, "на 5 души сега"),
    ("en", "org.event_cancelled", 1, {}, "1 person who asked for reminders was told"),
    ("en", "org.event_cancelled", 3, {}, "3 people who asked for reminders were told"),
    ("bg", "org.event_cancelled", 1, {}, "уведомен е 1 човек, поискал напомняне"),
    ("bg", "org.event_cancelled", 3, {}, "уведомени са 3 души, поискали напомняне"),
    ("en", "quiz.intro", 1, {}, "1 question."),
    ("bg", "quiz.intro", 1, {}, "1 въпрос."),
    ("bg", "quiz.intro", 10, {}, "10 въпроса."),
    ("en", "privacy.retention", 1, {}, "up to 1 day without"),
    ("en", "privacy.retention", 30, {}, "up to 30 days without"),
    ("bg", "privacy.retention", 1, {}, "до 1 ден без"),
    ("bg", "privacy.retention", 30, {}, "до 30 дни без"),
    ("en", "stats.title", 1, {}, "(topics: last day)"),
    ("bg", "stats.title", 1, {}, "(теми: последния ден)"),
    ("bg", "stats.title", 60, {}, "последните 60 дни)"),
    ("en", "link.signal.long", 1, {}, "(1 character)"),
    ("bg", "link.signal.long", 120, {}, "(120 знака)"),
    ("bg", "error.too_long", 1, {}, "до 1 знак."),
    ("en", "cli.broadcast.audience", 1, {}, "audience: 1 person"),
    ("en", "cli.broadcast.audience", 2, {}, "audience: 2 people"),
    ("bg", "cli.broadcast.audience", 1, {}, "аудитория: 1 човек"),
    ("bg", "cli.broadcast.audience", 5, {}, "аудитория: 5 души"),
    ("en", "cli.import.imported", 1, {"path": "a.csv"}, "Imported 1 event from a.csv"),
    ("bg", "cli.import.imported", 2, {"path": "a.csv"}, "Внесени са 2 събития от a.csv"),
    ("bg", "cli.stale.sources", 2, {}, "2 източника"),
]


@pytest.mark.parametrize(("lang", "key", "count", "values", "expected"), WORDING)
def test_counted_texts_agree_with_the_count(
    catalog: Catalog, lang: str, key: str, count: int, values: dict[str, str], expected: str
) -> None:
    assert expected in catalog.plural(lang, key, count, **values)


@pytest.mark.parametrize(
    ("lang", "number", "expected"),
    [("en", 12345, "12,345"), ("bg", 12345, "12\u00a0345"), ("bg", 1234, "1234"), ("en", 7, "7")],
)
def test_large_numbers_are_written_the_local_way(
    catalog: Catalog, lang: str, number: int, expected: str
) -> None:
    assert catalog.number(lang, number) == expected
    assert f"<b>{expected}</b>" in catalog.plural(lang, "ann.preview", number, audience="x")


# --- every counted text, in every language the catalog has ----------------------------------


def test_every_counted_text_has_exactly_the_forms_of_its_language(catalog: Catalog) -> None:
    for lang, meta in catalog.languages.items():
        assert catalog.plurals[lang], lang
        for key, forms in catalog.plurals[lang].items():
            assert set(forms) == _needed(meta.babel_locale), (lang, key)


def test_no_plain_text_carries_a_count(catalog: Catalog) -> None:
    for lang, strings in catalog.strings.items():
        for key, template in strings.items():
            assert "{count}" not in template, (lang, key)


def test_each_number_picks_the_form_of_its_category(catalog: Catalog) -> None:
    for lang, meta in catalog.languages.items():
        rule = Locale.parse(meta.babel_locale).plural_form
        for key, forms in catalog.plurals[lang].items():
            others = dict.fromkeys(_names(dict(forms)), "X")
            for number in (0, 1, 2, 3, 5, 11, 21, 101, 1000, 12345):
                shown = catalog.plural(lang, key, number, **others)
                expected = forms[rule(number)].format_map(
                    {"count": catalog.number(lang, number), **others}
                )
                assert shown == expected, (lang, key, number)
                if "{count}" in forms[rule(number)]:
                    assert catalog.number(lang, number) in shown, (lang, key, number)


def _names(forms: dict[str, str]) -> set[str]:
    return {
        name
        for template in forms.values()
        for _, name, _, _ in string.Formatter().parse(template)
        if name and name != "count"
    }


def test_text_refuses_a_counted_key_and_plural_a_plain_one(catalog: Catalog) -> None:
    lang = catalog.default_language
    with pytest.raises(KeyError, match="plural"):
        catalog.text(lang, "checklist.length", count=3)
    with pytest.raises(KeyError, match="plural"):
        catalog.plural(lang, "help.text", 3)


# --- a third language brings its own forms --------------------------------------------------


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def _third_language(catalog: Catalog) -> str:
    reference = _needed(catalog.languages[catalog.default_language].babel_locale)
    return next(
        code
        for code in RICHER_LOCALES
        if code not in catalog.languages and not _needed(code) <= reference
    )


def _write_yaml(path: Path, raw: Any) -> None:
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _add_ui_file(data: Path, catalog: Catalog, code: str) -> dict[str, Any]:
    """The default language's ui file as a new language; counted texts get every form `code`
    needs (each new form borrows the words of `other`). Returns the raw file."""
    raw: dict[str, Any] = yaml.safe_load(
        (data / "ui" / f"{catalog.default_language}.yml").read_text()
    )
    raw["meta"].update(
        name=f"Synthetic {code}", native_name=code, telegram_codes=[code], babel_locale=code
    )
    for key, value in raw["strings"].items():
        if isinstance(value, dict):
            raw["strings"][key] = {c: value.get(c, value["other"]) for c in _needed(code)}
    _write_yaml(data / "ui" / f"{code}.yml", raw)
    return raw


def _counted_keys(raw: dict[str, Any]) -> list[str]:
    return [key for key, value in raw["strings"].items() if isinstance(value, dict)]


def test_a_third_language_missing_a_plural_form_is_named(tmp_path: Path, catalog: Catalog) -> None:
    data = _copy_data(tmp_path)
    code = _third_language(catalog)
    raw = _add_ui_file(data, catalog, code)
    keys = _counted_keys(raw)
    assert keys, "no counted texts in the default language's ui file"
    key = keys[len(keys) // 2]
    missing = sorted(_needed(code) - {"one", "other"})[0]
    del raw["strings"][key][missing]
    _write_yaml(data / "ui" / f"{code}.yml", raw)
    with pytest.raises(ContentError) as caught:
        load_catalog(data, catalog.default_language)
    message = str(caught.value)
    assert f"ui/{code}.yml: {key}:" in message and repr(missing) in message


def test_a_form_the_language_does_not_have_is_named(tmp_path: Path, catalog: Catalog) -> None:
    data = _copy_data(tmp_path)
    lang = catalog.default_language
    path = data / "ui" / f"{lang}.yml"
    raw = yaml.safe_load(path.read_text())
    key = _counted_keys(raw)[0]
    unused = {"zero", "one", "two", "few", "many"} - _needed(catalog.languages[lang].babel_locale)
    extra = sorted(unused)[0]
    raw["strings"][key][extra] = raw["strings"][key]["other"]
    _write_yaml(path, raw)
    with pytest.raises(ContentError, match=rf"ui/{lang}\.yml: {key}: .*'{extra}'"):
        load_catalog(data, lang)


def test_a_count_in_a_plain_text_is_named(tmp_path: Path, catalog: Catalog) -> None:
    data = _copy_data(tmp_path)
    lang = catalog.default_language
    path = data / "ui" / f"{lang}.yml"
    raw = yaml.safe_load(path.read_text())
    raw["strings"]["help.text"] = "You have {count} questions."
    _write_yaml(path, raw)
    with pytest.raises(ContentError, match=rf"ui/{lang}\.yml: help.text: .*count"):
        load_catalog(data, lang)


def test_a_third_language_with_its_forms_loads_and_uses_them(
    tmp_path: Path, catalog: Catalog
) -> None:
    data = _copy_data(tmp_path)
    code = _third_language(catalog)
    source = catalog.default_language
    raw = _add_ui_file(data, catalog, code)
    # Mark each form with its category, to see which one the rules pick.
    for key in _counted_keys(raw):
        raw["strings"][key] = {c: f"[{c}] {t}" for c, t in raw["strings"][key].items()}
    _write_yaml(data / "ui" / f"{code}.yml", raw)
    _copy_content(data, source, code)
    loaded = load_catalog(data, source)
    rule = Locale.parse(code).plural_form
    key = _counted_keys(raw)[0]
    picked = set()
    for number in range(200):
        shown = loaded.plural(code, key, number)
        assert shown.startswith(f"[{rule(number)}]"), number
        picked.add(shown.split("]")[0][1:])
    assert picked - {"one", "other"}, picked  # its own forms, beyond those of the reference


def _copy_content(data: Path, source: str, code: str) -> None:
    """The rest of the content of `source` as language `code` (only the ui file is tested)."""
    for kind in ("answers", "tips", "checklists"):
        shutil.copytree(data / kind / source, data / kind / code)
        for path in (data / kind / code).glob("*.yml"):
            raw = yaml.safe_load(path.read_text())
            if "language" in raw:
                raw["language"] = code
                _write_yaml(path, raw)
    quiz = yaml.safe_load((data / "quiz" / f"{source}.yml").read_text())
    quiz["language"] = code
    _write_yaml(data / "quiz" / f"{code}.yml", quiz)
    scam = yaml.safe_load((data / "scam" / f"{source}.yml").read_text())
    scam["language"] = code
    _write_yaml(data / "scam" / f"{code}.yml", scam)
    regions = yaml.safe_load((data / "regions.yml").read_text())
    for region in regions["regions"]:
        region[code] = region[source]
    _write_yaml(data / "regions.yml", regions)
    campaign = yaml.safe_load((data / "campaign.yml").read_text())
    for texts in campaign["themes"].values():
        texts[code] = texts[source]
    _write_yaml(data / "campaign.yml", campaign)


# --- the counts as the bot shows them -------------------------------------------------------


async def _announce(dialogue: Dialogue, lang: str) -> tuple[str, str]:
    """The preview and the confirmation of an announcement, asked for in `lang`."""
    org = ORGANISER_ID
    await dialogue.handle(Incoming(org, command="announce", platform_language=lang))
    await dialogue.handle(Incoming(org, text="<b>Webinar</b> on Thursday"))
    outcome = await dialogue.handle(Incoming(org, callback="ab"))  # no button
    outcome = await dialogue.handle(Incoming(org, callback="aa:citizen"))
    preview = outcome.replies[-1].text
    outcome = await dialogue.handle(Incoming(org, callback="as"))
    return preview, outcome.replies[0].text


@pytest.mark.parametrize(
    ("lang", "size", "preview", "confirm"),
    [
        ("en", 1, "<b>1</b> person (", "Send it to 1 person now?"),
        ("en", 5, "<b>5</b> people (", "Send it to 5 people now?"),
        ("en", 12345, "<b>12,345</b> people (", "Send it to 12,345 people now?"),
        ("bg", 1, "Ще го получи <b>1</b> човек (", "на 1 човек сега?"),
        ("bg", 2, "Ще го получат <b>2</b> души (", "на 2 души сега?"),
        ("bg", 12345, "<b>12\u00a0345</b> души (", "на 12\u00a0345 души сега?"),
    ],
)
async def test_announcement_audience_is_counted_in_words(
    dialogue: Dialogue, ports: EventPorts, lang: str, size: int, preview: str, confirm: str
) -> None:
    broadcasts = ports.broadcasts
    assert isinstance(broadcasts, MemoryBroadcasts)
    broadcasts.size = size
    shown, confirmation = await _announce(dialogue, lang)
    assert preview in shown
    assert confirm in confirmation


@pytest.mark.parametrize(
    ("lang", "told"),
    [("en", "1 person who asked for reminders was told"), ("bg", "уведомен е 1 човек")],
)
async def test_cancelling_an_event_counts_the_one_person_told(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, lang: str, told: str
) -> None:
    event_id = await add_event(ports, clock, draft(days=3))
    await dialogue.handle(Incoming(USER, callback=f"er:{event_id}"))
    await dialogue.handle(Incoming(ORGANISER_ID, command="start", platform_language=lang))
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, callback=f"ecx:{event_id}"))
    assert told in outcome.replies[0].text


@pytest.mark.parametrize(("lang", "finished"), [("en", "1 finished"), ("bg", "1 завършена")])
async def test_stats_count_one_finished_checklist(
    dialogue: Dialogue, catalog: Catalog, lang: str, finished: str
) -> None:
    checklist = catalog.checklists[lang]["remote_work"]
    outcome = await dialogue.handle(
        Incoming(USER, callback="cks:remote_work", platform_language=lang)
    )
    for _ in checklist.items:
        data = next(
            b.data or ""
            for r in outcome.replies
            for row in r.buttons
            for b in row
            if (b.data or "").startswith("cka:") and (b.data or "").endswith(":d")
        )
        outcome = await dialogue.handle(Incoming(USER, callback=data))
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, command="stats", platform_language=lang))
    assert f"{checklist.title}: {finished}," in outcome.replies[0].text


def _texts(outcome: Outcome) -> str:
    return "\n".join(reply.text for reply in outcome.replies)


@pytest.mark.parametrize(("lang", "days"), [("en", "30 days"), ("bg", "30 дни")])
async def test_privacy_names_the_retention_in_words(
    dialogue: Dialogue, lang: str, days: str
) -> None:
    outcome = await dialogue.handle(Incoming(USER, command="privacy", platform_language=lang))
    assert days in _texts(outcome)


@pytest.mark.parametrize(
    ("lang", "kept"), [("en", "check, only if you tapped"), ("bg", "да проверя – само ако")]
)
async def test_privacy_names_the_checked_messages_and_their_retention(
    dialogue: Dialogue, lang: str, kept: str
) -> None:
    """Checked messages kept with consent are in /privacy, with CHECKED_RETENTION_DAYS (90)."""
    outcome = await dialogue.handle(Incoming(USER, command="privacy", platform_language=lang))
    text = _texts(outcome)
    assert kept in text
    assert ("90 days" if lang == "en" else "90 дни") in text
