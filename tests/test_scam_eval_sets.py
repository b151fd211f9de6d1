"""The message check's evaluation sets (bench/data/scam_eval*) load the way bench.scam_quality
loads them, every one `--set` can name: both languages, both labels, unique ids, a text each.
The third and fourth sets (bench/data/scam_eval3, scam_eval4) also keep what they were written to
be: at least 150 scam and 150 genuine messages per language, every kind of channel, with and
without links, and no message a near copy of another of its language or of the earlier sets (a
copy would count one case twice). No verdict is computed here: the quality is a benchmark, not a
test."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from bench.scam_quality import SETS, _messages

LANGUAGES = ("bg", "en")
KINDS = {"sms", "chat", "email", "social"}
# rapidfuzz ratio (0-100) on lowercased texts at or above which two messages are one case told
# twice; the closest pairs in scam_eval3 (fixed vendor code templates) are at 80.
NEAR_COPY = 85.0


def _texts(where: Path, language: str) -> list[str]:
    return [str(m["text"]).lower() for m in _messages(language, where)]


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_set_loads_with_both_languages_and_labels(name: str) -> None:
    where = SETS[name]
    assert sorted(p.stem for p in where.glob("*.yml")) == list(LANGUAGES)
    ids: set[str] = set()
    for language in LANGUAGES:
        messages = _messages(language, where)
        assert {m["label"] for m in messages} == {"scam", "genuine"}
        for message in messages:
            assert isinstance(message["text"], str) and message["text"].strip()
            ident = str(message["id"])
            assert ident not in ids, ident
            ids.add(ident)


# The sets written to these rules (from the third on); each is checked against every set
# written before it, in SETS's order.
WRITTEN_TO_THE_RULES = (
    "scam_eval3",
    "scam_eval4",
    "scam_eval5",
    "scam_eval6",
    "scam_eval7",
    "scam_eval8",
)
CHECKED = {name: tuple(SETS)[: tuple(SETS).index(name)] for name in WRITTEN_TO_THE_RULES}


def test_the_checked_sets_are_sets_of_their_own() -> None:
    assert set(CHECKED) <= set(SETS)  # and so in --set's choices and in --set all


@pytest.mark.parametrize("name", sorted(CHECKED))
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_checked_set_has_enough_of_each_label_kind_and_link(name: str, language: str) -> None:
    messages = _messages(language, SETS[name])
    for label in ("scam", "genuine"):
        ours = [m for m in messages if m["label"] == label]
        assert len(ours) >= 150, (label, len(ours))
        assert {m["kind"] for m in ours} == KINDS, label
        assert {m["links"] for m in ours} == {True, False}, label


@pytest.mark.parametrize("name", sorted(CHECKED))
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_checked_set_has_no_near_copies(name: str, language: str) -> None:
    own = _texts(SETS[name], language)
    close = [
        (round(score), a[:40], b[:40])
        for a, b in itertools.combinations(own, 2)
        if (score := fuzz.ratio(a, b)) >= NEAR_COPY
    ]
    assert not close
    earlier = [t for before in CHECKED[name] for t in _texts(SETS[before], language)]
    copied = [
        (round(score), text[:40])
        for text in own
        for score in [max(fuzz.ratio(text, other) for other in earlier)]
        if score >= NEAR_COPY
    ]
    assert not copied
