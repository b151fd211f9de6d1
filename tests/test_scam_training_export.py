"""The learned scorer's training examples (data/scam/training/<lang>.yml, `python -m bench.scam_dev
--export`): since round 9 every dev example of tests/scam_dev/ and every message of the retired
evaluation sets (bench.scam_quality.RETIRED), each under its label, with the sets named in the
file's header and source; never a message of the later sets, which stay the dev check
(bench.scam_quality.DEV_CHECKS) or untouched. And the leave-one-set-out bench (bench.scam_loso)
never trains on the set it scores."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from bench.scam_dev import HEADER, TRAINING, Example, examples, retired_examples, training_sets
from bench.scam_loso import folds, training
from bench.scam_quality import DEV_CHECKS, RETIRED, SETS, _messages
from bot.content.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("bg", "en")


@functools.cache
def _by_label(name: str, language: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"scam": set(), "genuine": set()}
    for message in _messages(language, SETS[name]):
        out[str(message["label"])].add(str(message["text"]))
    return out


@pytest.fixture(scope="module")
def exported() -> dict[str, dict[str, object]]:
    return training_sets()


@functools.cache
def _dev() -> list[Example]:
    return list(examples())


@functools.cache
def _retired() -> list[Example]:
    return list(retired_examples())


def test_the_retired_sets_are_the_sets_before_the_dev_check() -> None:
    names = tuple(SETS)
    assert names[: len(RETIRED)] == RETIRED
    assert names[len(RETIRED) : len(RETIRED) + len(DEV_CHECKS)] == DEV_CHECKS
    assert not set(RETIRED) & set(DEV_CHECKS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_retired_message_is_in_the_training_under_its_label(
    exported: dict[str, dict[str, object]], language: str
) -> None:
    entry = exported[language]
    for name in RETIRED:
        for label, texts in _by_label(name, language).items():
            held = entry[label]
            assert isinstance(held, list)
            assert texts <= set(held), (name, label, len(texts - set(held)))
            other = entry["genuine" if label == "scam" else "scam"]
            assert isinstance(other, list)
            assert not texts & set(other), (name, label)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_dev_example_is_in_the_training_first_and_once(
    exported: dict[str, dict[str, object]], language: str
) -> None:
    entry = exported[language]
    for label in ("scam", "genuine"):
        held = entry[label]
        assert isinstance(held, list)
        assert len(held) == len(set(held))
        dev = list(
            dict.fromkeys(e.text for e in _dev() if (e.language, e.label) == (language, label))
        )
        assert held[: len(dev)] == dev  # the dev examples, in their order, before the sets
        retired = {e.text for e in _retired() if (e.language, e.label) == (language, label)}
        assert set(held) == set(dev) | retired


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_of_a_set_that_is_not_retired_is_trained_on(
    exported: dict[str, dict[str, object]], language: str
) -> None:
    """The dev checks and every set added since (scam_eval8 judged round 9 untouched)."""
    entry = exported[language]
    trained = {*entry["scam"], *entry["genuine"]}  # type: ignore[misc]
    assert set(DEV_CHECKS) < set(SETS) - set(RETIRED)
    for name in (name for name in SETS if name not in RETIRED):
        for texts in _by_label(name, language).values():
            assert not texts & trained, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_training_files_are_the_export(
    exported: dict[str, dict[str, object]], language: str
) -> None:
    path = TRAINING / f"{language}.yml"
    written = path.read_text("utf-8")
    sets = ", ".join(f"bench/data/{name}" for name in RETIRED)
    assert written.startswith(HEADER.format(sets=sets))
    assert yaml.safe_load(written) == exported[language]
    source = str(exported[language]["source"])
    assert all(f"bench/data/{name}" in source for name in RETIRED)
    assert not any(f"bench/data/{name} " in source for name in DEV_CHECKS)
    # And the bot reads them: the catalog's rules carry the same examples.
    rules = load_catalog(ROOT / "data", "en").scam[language]
    assert rules.training is not None
    assert list(rules.training.scam) == exported[language]["scam"]
    assert list(rules.training.genuine) == exported[language]["genuine"]


def test_an_export_of_other_dev_files_and_one_set(tmp_path: Path) -> None:
    """The dev examples of a folder, then the named retired set, a text in both kept once."""
    first = _messages("en", SETS["scam_eval"])[0]
    label = str(first["label"])
    other = "genuine" if label == "scam" else "scam"
    (tmp_path / "x_en.yml").write_text(
        yaml.safe_dump({label: [str(first["text"])], other: ["A message written for this test."]}),
        "utf-8",
    )
    sets = training_sets(tmp_path, ("scam_eval",))
    assert set(sets) == {"bg", "en"}  # the set's Bulgarian half too
    held = sets["en"][label]
    assert isinstance(held, list)
    assert held[0] == first["text"] and held.count(first["text"]) == 1
    assert sets["en"][other][0] == "A message written for this test."  # type: ignore[index]
    expected = _by_label("scam_eval", "en")
    assert set(held) == expected[label]
    assert "bench/data/scam_eval " in str(sets["en"]["source"])
    assert "scam_eval2" not in str(sets["en"]["source"])


def test_each_fold_leaves_its_set_out() -> None:
    seen = []
    for fold in folds():
        seen.append(fold.left_out)
        assert fold.left_out not in fold.trained_on
        assert set(fold.trained_on) <= set(RETIRED)
        if fold.left_out in RETIRED:
            assert len(fold.trained_on) == len(RETIRED) - 1
        else:
            assert fold.trained_on == RETIRED
    assert seen == [*RETIRED, *DEV_CHECKS]


def test_a_fold_s_training_holds_none_of_the_left_out_set() -> None:
    fold = folds()[0]
    examples_of = training(fold.trained_on)
    for language in LANGUAGES:
        scams, genuine = examples_of[language]
        left_out = _by_label(fold.left_out, language)
        dev = {e.text for e in _dev() if e.language == language}
        # A left-out message is trained on only if a dev example is the same text.
        assert not (left_out["scam"] | left_out["genuine"]) & (set(scams) | set(genuine)) - dev
        assert _by_label(fold.trained_on[0], language)["scam"] <= set(scams)
