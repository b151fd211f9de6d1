"""The content in data/ loads, is complete where it must be, and bad files are named."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.content.catalog import Catalog, ContentError, load_catalog
from bot.content.models import fill_placeholders
from bot.text.markup import check_markup

ROOT = Path(__file__).resolve().parent.parent
SHARED_TAXONOMY = ROOT.parent / "shared" / "taxonomy.yml"
# The topics the foundation must answer; the full list is checked in test_nlu_coverage.py.
FOUNDATION_TOPICS = ("phishing", "passwords", "report_incident")


def test_taxonomy_copy_matches_shared() -> None:
    if not SHARED_TAXONOMY.exists():
        pytest.skip("no ../shared/taxonomy.yml beside this checkout")
    assert yaml.safe_load((ROOT / "data/taxonomy.yml").read_text()) == yaml.safe_load(
        SHARED_TAXONOMY.read_text()
    )


def test_languages(catalog: Catalog) -> None:
    # The campaign's own two; a third one is data only (test_third_language.py).
    assert {"en", "bg"} <= catalog.languages.keys()


@pytest.mark.parametrize("topic", FOUNDATION_TOPICS)
def test_foundation_answers_exist_in_every_language(catalog: Catalog, topic: str) -> None:
    for language in catalog.languages:
        answer = catalog.answer(language, topic)
        assert answer is not None, (language, topic)
        assert answer.sources


def test_every_ui_string_is_valid_markup(catalog: Catalog) -> None:
    for language, strings in catalog.strings.items():
        for key, value in strings.items():
            assert check_markup(fill_placeholders(value)) is None, (language, key)


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def test_broken_yaml_is_named(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    (data / "answers/en/phishing.yml").write_text("topic: [unclosed\n")
    with pytest.raises(ContentError, match=r"answers/en/phishing.yml: not valid YAML"):
        load_catalog(data, "en")


def test_bad_markup_is_named_with_its_place(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "answers/bg/phishing.yml"
    raw = yaml.safe_load(path.read_text())
    raw["sections"][1]["text"] = "Кликнете <b>тук" + " и прочетете" * 5
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(ContentError, match=r"bg/phishing.yml: sections.1.text: .*never closed"):
        load_catalog(data, "en")


def test_missing_translation_is_named(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    (data / "answers/bg/passwords.yml").unlink()
    with pytest.raises(ContentError, match=r"answers/bg: no answer for \['passwords'\]"):
        load_catalog(data, "en")


def test_missing_ui_string_is_named(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "ui/bg.yml"
    raw = yaml.safe_load(path.read_text())
    del raw["strings"]["help.text"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(ContentError, match=r"ui/bg.yml: missing strings \['help.text'\]"):
        load_catalog(data, "en")


def test_placeholder_mismatch_is_named(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "ui/bg.yml"
    raw = yaml.safe_load(path.read_text())
    raw["strings"]["start.language"] = "Ще ви отговарям на {langage}."
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(ContentError, match=r"start.language: placeholders"):
        load_catalog(data, "en")


def test_unknown_default_language(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="DEFAULT_LANGUAGE"):
        load_catalog(ROOT / "data", "de")


def _source_titles(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["title"]] if {"url", "title", "checked"} <= node.keys() else []
        return own + [title for value in node.values() for title in _source_titles(value)]
    if isinstance(node, list):
        return [title for value in node for title in _source_titles(value)]
    return []


def test_every_source_in_the_bulgarian_content_has_a_bulgarian_title() -> None:
    # The reader of the Bulgarian texts should learn in Bulgarian what each source is; an English
    # name may follow, but an English-only title is a translation left undone.
    files = [*sorted((ROOT / "data").glob("*/bg/*.yml")), ROOT / "data/quiz/bg.yml"]
    assert len(files) > 30
    untranslated = [
        (path.relative_to(ROOT / "data").as_posix(), title)
        for path in files
        for title in _source_titles(yaml.safe_load(path.read_text()))
        if not re.search("[а-яА-Я]", title)
    ]
    assert not untranslated, untranslated
