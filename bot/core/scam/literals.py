"""Which of the rules' patterns a message cannot match, told cheaply before they are run.

Every free-text message is screened by every signal of its language (bot/core/scam/rules.py),
and most messages match none: each signal's regular expression then scans the whole message
for nothing (three quarters of the bot's work per message, issue 14). But every pattern of
the rules needs some words to match at all: `\\bparcel\\b[^.]{0,80}\\bheld\\b` cannot match a
message without "parcel" and "held" in it. Those words are read out of the patterns
themselves (the parser `re` compiles them with), all of them found in a message in one pass,
and a signal whose patterns all need a word the message lacks is not run: its result would be
no match anyway, so the verdicts are the same (tests/test_scam_literals.py checks it on every
message of the rules' development and evaluation sets).

The words are matched as the patterns' letters are: without regard to case, by the regular
expression engine's own rules. The message is folded once so that a plain comparison gives the
same answer (`_folding`), then one search finds every word of the rules in it.
"""

from __future__ import annotations

import array
import functools
import importlib
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

# The parser `re` itself compiles with (CPython 3.11, the version the project runs on: see
# pyproject.toml); on a Python without it nothing is claimed, so nothing is skipped.
_sre: Any
_sre_parse: Any
try:
    _sre = importlib.import_module("re._constants")
    _sre_parse = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - another Python
    _sre_parse = None

MIN_WORD = 3
# One of these words occurs in every match (an "or").
Clause = frozenset[str]
# All of these clauses hold for every match (an "and"); empty: nothing is known.
Requirement = tuple[Clause, ...]


def requirement(pattern: str) -> Requirement:
    """The words every match of `pattern` (compiled without regard to case) contains, as
    written in the pattern; empty when nothing is certain (then the pattern is always run)."""
    if _sre_parse is None:
        return ()
    try:
        clauses = _sequence(list(_sre_parse.parse(pattern, re.IGNORECASE)))
    except Exception:  # a construct this reading does not know: nothing is claimed
        return ()
    # Short words ("in", "на") occur in nearly every message and would be found at most of its
    # places: a clause of them tells little and costs much. Dropping a clause only weakens
    # the requirement (it stays true); the surest one is kept whatever its words.
    kept = [c for c in clauses if min(map(len, c)) >= MIN_WORD]
    if not kept and clauses:
        kept = [max(clauses, key=_strength)]
    return tuple(dict.fromkeys(kept))


def _sequence(items: Iterable[tuple[Any, Any]]) -> list[Clause]:
    """A sequence matches only if each of its parts does: the clauses of all parts hold."""
    clauses: list[Clause] = []
    run: list[str] = []
    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            clauses.append(frozenset({"".join(run)}))
            run = []
        clauses.extend(_part(op, av))
    if run:
        clauses.append(frozenset({"".join(run)}))
    return clauses


def _part(op: Any, av: Any) -> list[Clause]:
    if op is _sre.SUBPATTERN:
        return _sequence(av[3])
    if op is _sre.ATOMIC_GROUP:
        return _sequence(av)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        least: int = av[0]
        return _sequence(av[2]) if least >= 1 else []
    if op is _sre.BRANCH:
        # One of the branches matches: its words, whichever it is. Each branch gives the
        # clause it is surest of (its longest words); a branch that needs nothing known makes
        # the whole alternation need nothing.
        words: set[str] = set()
        for branch in av[1]:
            clauses = _sequence(branch)
            if not clauses:
                return []
            best: Clause = max(clauses, key=_strength)
            words |= best
        return [frozenset(words)]
    # Classes, any character, anchors, lookarounds, back references: no word is certain.
    return []


def _strength(clause: Clause) -> tuple[int, int]:
    return (min(map(len, clause)), -len(clause))


@functools.lru_cache(maxsize=8)
def _folding(alphabet: frozenset[str]) -> dict[int, str]:
    """A translation under which two characters are equal exactly when the regular expression
    engine, without regard to case, matches one with the other, for every character that
    matches one of `alphabet`: each becomes the smallest character of `alphabet` it matches
    ("K", "k" and the Kelvin sign become "K" if "K" is in the alphabet). Every other character
    matches no letter of the words and is kept.

    Built by asking the engine itself, over every code point (a fraction of a second, once per
    process), so it holds whatever Unicode's case tables and `re`'s own additions say."""
    codes = array.array("I", range(0xD800))
    codes.extend(range(0xE000, 0x110000))
    every = codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
    letters = sorted(alphabet)
    matching = re.compile("[" + "".join(map(re.escape, letters)) + "]", re.IGNORECASE)
    found = "".join(sorted(set(matching.findall(every))))
    table: dict[int, str] = {}
    for letter in reversed(letters):  # the smallest last: it is the one kept
        for char in re.compile(re.escape(letter), re.IGNORECASE).findall(found):
            table[ord(char)] = letter
    return {code: char for code, char in table.items() if chr(code) != char}


class Literals:
    """The words of a list of patterns, found in a message in one pass; `possible(text)` says
    which patterns may match it (a superset of those that do)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.requirements = [requirement(p) for p in patterns]
        alphabet = frozenset(
            c for r in self.requirements for clause in r for w in clause for c in w
        )
        self._fold = _folding(alphabet) if alphabet else {}
        folded = [
            tuple(frozenset(w.translate(self._fold) for w in c) for c in r)
            for r in self.requirements
        ]
        self._always = frozenset(i for i, r in enumerate(folded) if not r)
        self._clauses = folded
        words = {w for r in folded for clause in r for w in clause}
        # Each word, with the shorter words it begins with: the search gives the longest word
        # that starts at each place, and those begin there too.
        self._prefixes = {
            w: tuple(w[:k] for k in range(1, len(w) + 1) if w[:k] in words) for w in words
        }
        # A pattern is looked at only if the message holds a word of its surest clause.
        self._by_word: dict[str, list[int]] = {}
        for index, r in enumerate(folded):
            if r:
                for word in max(r, key=_strength):
                    self._by_word.setdefault(word, []).append(index)
        self._search = re.compile(f"(?=({_trie(words)}))") if words else None

    def found(self, text: str) -> set[str]:
        """The words of the patterns that occur in `text` (as folded)."""
        present: set[str] = set()
        if self._search is not None:
            for match in self._search.finditer(text.translate(self._fold)):
                present.update(self._prefixes[match.group(1)])
        return present

    def possible(self, text: str) -> frozenset[int]:
        """The indexes of the patterns that may match `text`."""
        present = self.found(text)
        candidates = {i for word in present for i in self._by_word.get(word, ())}
        return self._always | {
            i
            for i in candidates
            if all(not clause.isdisjoint(present) for clause in self._clauses[i])
        }


@functools.lru_cache(maxsize=16)
def literals_of(patterns: tuple[str, ...]) -> Literals:
    """The same rules give the same words: built once per process (every engine of a test run,
    every bootstrap of the command line's process)."""
    return Literals(patterns)


def _trie(words: Iterable[str]) -> str:
    """One alternation of `words` that, at each place, takes the longest one that starts there
    (a trie: at each step at most one character follows)."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    end = ""  # a key no character can be: the word ends here
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[end] = {}

    def pattern(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        branches = [
            re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if end in node else body

    return pattern(root)
