"""Skipping the rules' patterns a message cannot match (bot/core/scam/literals.py) changes no
verdict: on every message of the rules' development sets (tests/scam_dev) and the sentences
bench.message_path and bench.load send (nlu/tests), as typed and, when typed in Latin letters,
as read into Cyrillic, each engine's assessment and the screening's decision are the same
with and without it, and no pattern that matches a message is ever left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.content.catalog import Catalog, load_catalog
from bot.content.models import ScamRules
from bot.content.typing import load_readers, strings_in
from bot.core.scam.literals import Literals, requirement
from bot.core.scam.received import received_or_question
from bot.core.scam.rules import ScamEngine

ROOT = Path(__file__).parent.parent
CYRILLIC = re.compile("[\u0400-\u04ff]")
DATA = ROOT / "data"
SETS = [
    *sorted((ROOT / "tests" / "scam_dev").glob("*.yml")),
    *sorted((ROOT / "nlu" / "tests").glob("test_nlu_*.yml")),
]


def _messages(path: Path) -> list[str]:
    loaded = yaml.safe_load(path.read_text("utf-8"))
    if path.parent.name == "tests" and path.name.startswith("test_nlu_"):
        return [
            line.strip()[2:]
            for block in loaded["nlu"]
            for line in block.get("examples", "").splitlines()
            if line.strip().startswith("- ")
        ]
    return [s for s in strings_in(loaded) if len(s) > 3]


def _patterns(rules: ScamRules) -> list[str]:
    return [
        *(p for s in rules.signals for p in s.patterns),
        *(p for m in rules.genuine for p in m.patterns),
    ]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DATA, "en")


@pytest.fixture(scope="module")
def messages(catalog: Catalog) -> list[str]:
    found = {m for path in SETS for m in _messages(path)}
    readers = load_readers(DATA, catalog.languages)
    latin = [m for m in found if not CYRILLIC.search(m)]
    read = {reader.read(m) for reader in readers.values() for m in latin}
    return sorted(found | read)


def test_the_sets_are_there(messages: list[str]) -> None:
    assert len(SETS) >= 20
    assert len(messages) > 8000


def test_the_verdicts_and_the_screenings_decisions_are_the_same(
    catalog: Catalog, messages: list[str]
) -> None:
    compared = 0
    for rules in catalog.scam.values():
        fast = ScamEngine(rules, catalog.links.brands)
        every = ScamEngine(rules, catalog.links.brands, skip_unmatchable=False)
        for number, message in enumerate(messages):
            expected, got = (
                every.assess(message, learned=False),
                fast.assess(message, learned=False),
            )
            assert got == expected, message
            for forwarded in (False, True):
                assert received_or_question(got, forwarded) == received_or_question(
                    expected, forwarded
                )
            # The learned scorer (slow to ask) adds its points and flag after the rules: a
            # sample shows they are added the same way.
            if number % 100 == 0:
                learned = every.assess(message)
                assert fast.assess(message) == learned, message
            compared += 1
    assert compared == len(messages) * len(catalog.scam)


def test_no_pattern_that_matches_is_left_out(catalog: Catalog, messages: list[str]) -> None:
    for rules in catalog.scam.values():
        patterns = _patterns(rules)
        compiled = [re.compile(p, re.IGNORECASE) for p in patterns]
        # Checked a hundred patterns at a time (one alternation), each one only where its
        # hundred match something: the same answer as one search per pattern, sooner.
        step = 100
        batches = [
            re.compile("|".join(f"(?:{p})" for p in patterns[i : i + step]), re.IGNORECASE)
            for i in range(0, len(patterns), step)
        ]
        literals = Literals(patterns)
        for message in messages:
            possible = literals.possible(message)
            for start, batch in zip(range(0, len(patterns), step), batches, strict=True):
                if batch.search(message) is None:
                    continue
                for index in range(start, min(start + step, len(patterns))):
                    if compiled[index].search(message):
                        assert index in possible, (patterns[index], message)


def test_most_patterns_are_skipped_for_a_plain_question(catalog: Catalog) -> None:
    # What makes it worth having: a question about security needs few of the rules run.
    patterns = _patterns(catalog.scam["en"])
    possible = Literals(patterns).possible("How do I make a strong password for my email?")
    assert len(possible) < len(patterns) // 10


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\bparcel\b[^.]{0,80}\bheld\b", "Your PARCEL is HELD at the depot"),
        (r"(?:urgent|immediate)ly", "URGENTLY"),
        (r"\bsend (?:the|your) code\b", "Send Your Code now"),
        (r"пратка(?:та)? е задържана", "ПРАТКАТА Е ЗАДЪРЖАНА"),
        (r"\bkelvin\b", "\u212aelvin"),  # the Kelvin sign matches "k" without regard to case
        (r"\bss\b|\bso\b", "\u017fo"),  # and the long s matches "s"
        (r"\bcode\b", "code"),
    ],
)
def test_case_is_ignored_as_the_engine_ignores_it(pattern: str, text: str) -> None:
    assert re.search(pattern, text, re.IGNORECASE)
    assert Literals([pattern]).possible(text) == {0}


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\bparcel\b[^.]{0,80}\bheld\b", "Your parcel is on its way"),
        (r"\bsend (?:the|your) code\b", "send the money"),
    ],
)
def test_a_pattern_whose_words_are_missing_is_skipped(pattern: str, text: str) -> None:
    assert Literals([pattern]).possible(text) == frozenset()


def test_what_is_certain_of_a_pattern() -> None:
    assert requirement(r"\bparcel\b[^.]{0,80}\bheld\b") == (
        frozenset({"parcel"}),
        frozenset({"held"}),
    )
    assert requirement(r"\b(?:urgent|immediate)ly\b") == (frozenset({"urgent", "immediate"}),)
    # Nothing certain (an optional word, a class): nothing claimed, the pattern is always run.
    assert requirement(r"(?:maybe)?\d+") == ()
    assert Literals([r"(?:maybe)?\d+"]).possible("no digits") == {0}
