"""Reads a language that is typed in Latin letters back into its own script ("6efa mi pi6e" ->
"шефа ми пише"), so that one NLU model serves both ways of typing it.

People do not follow one transliteration: `sh` and `6` both stand for ш, `q` and `ya` for я,
`u`, `a` and `y` may each be ъ. So every Latin word is spelled out in every way the language's
table allows, cheapest spellings first, and the spelling that is a word of the language wins.
Words the language does not know stay as typed (brand names, English words: "viber", "gmail").
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field

# A run of Latin letters, with the digits and the apostrophe that stand for letters in some
# spellings ("6efa", "4estito", "s`m"); a token must hold at least one letter.
_TOKEN = re.compile(r"[A-Za-z0-9`']+")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_ONLY_DIGITS = re.compile(r"[0-9]+")
# Addresses are kept as typed: links are checked by their letters, and "dsk-bank.com" read as
# Cyrillic would be another address.
_CHUNK = re.compile(r"\S+")
_ADDRESS = re.compile(r"://|@|^www\.|[A-Za-z0-9]\.[A-Za-z]{2,}")

# How many spellings of one word are looked at, at most: the cheapest come first, and a word of
# more than a dozen letters with many ambiguous ones would otherwise have thousands.
MAX_SPELLINGS = 96
# Bounds on the work one word may cost, whatever a message holds: longer "words" (keys, hashes,
# keyboard mashing) are kept as typed, and the walk stops after so many steps.
MAX_WORD = 24
MAX_STEPS = 4000
# Words read are remembered, up to this many; then the memory starts again.
CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class TypingTable:
    """A language's Latin spellings: each sequence of Latin characters and what it may stand
    for, the usual reading first (each later one costs one more)."""

    language: str
    sequences: Mapping[str, tuple[str, ...]]
    # Words people type in Latin letters whatever the language (QR, PIN, IBAN, VPN...): the
    # bot's own texts in the language spell them so too.
    keep: frozenset[str] = frozenset()
    # Whole words read one way whatever the sequences say ("merci": мерси); a word spelled as
    # itself is foreign (English "check", whose Bulgarian spelling "чек" is also a word).
    spelled: Mapping[str, str] = field(default_factory=dict)

    @property
    def longest(self) -> int:
        return max(map(len, self.sequences), default=1)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """What the reader knows of a language's words.

    `known` says whether a word form exists; `frequent` counts words in the bot's own texts of
    that language, which people's questions share (it tells "някой" from "някои"); `foreign`
    holds words of other languages that are kept as typed when the language has no such word.
    """

    known: Callable[[str], bool]
    frequent: Mapping[str, int]
    foreign: Container[str]


class LatinReader:
    """Turns the Latin-typed words of a message into the language's script; pure and cached."""

    def __init__(self, table: TypingTable, lexicon: Lexicon) -> None:
        self.table = table
        self.lexicon = lexicon
        self._longest = table.longest
        self._cache: dict[str, str] = {}

    def read(self, text: str) -> str:
        """`text` with each Latin-typed word in the language's script; the rest unchanged."""
        return _CHUNK.sub(self._chunk, text)

    def _chunk(self, match: re.Match[str]) -> str:
        chunk = match.group(0)
        return chunk if _ADDRESS.search(chunk) else _TOKEN.sub(self._replace, chunk)

    def word(self, token: str) -> str:
        lowered = token.lower()
        cached = self._cache.get(lowered)
        if cached is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            cached = self._cache[lowered] = self._best(lowered)
        return cached

    def _replace(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if self._kept(token):
            return token
        return self.word(token)

    def _kept(self, token: str) -> bool:
        # Capitals (ECSM, CEO) are abbreviations, typed so in any language.
        return (
            not _HAS_LETTER.search(token)
            or _ONLY_DIGITS.fullmatch(token) is not None
            or (len(token) > 1 and token.isupper())
            or token.lower() in self.table.keep
        )

    def share(self, text: str) -> float:
        """How much of the Latin-typed text reads as this language: the part of its words that
        spell one of the language's words and are no foreign word. Tells a message whose
        language the marker words did not decide ("spri savetite")."""
        words = [
            token.lower()
            for chunk in _CHUNK.findall(text)
            if not _ADDRESS.search(chunk)
            for token in _TOKEN.findall(chunk)
            if len(token) > 1 and not self._kept(token)
        ]
        if not words:
            return 0.0
        native = sum(
            1
            for word in words
            if word not in self.lexicon.foreign
            and self.word(word) != word
            and self._is_word(self.word(word))
        )
        return native / len(words)

    def _is_word(self, spelling: str) -> bool:
        return spelling in self.lexicon.frequent or self.lexicon.known(spelling)

    def _best(self, token: str) -> str:
        if token in self.table.spelled:
            return self.table.spelled[token]
        if len(token) > MAX_WORD:
            return token
        best: tuple[float, str] | None = None
        cheapest: str | None = None
        for cost, spelling in self.spellings(token):
            if cheapest is None:
                cheapest = spelling
            score = self._score(spelling, cost)
            if score is not None and (best is None or score > best[0]):
                best = (score, spelling)
        if best is not None:
            return best[1]
        if token in self.lexicon.foreign or cheapest is None:
            return token
        return cheapest

    def _score(self, spelling: str, cost: int) -> float | None:
        count = self.lexicon.frequent.get(spelling, 0)
        if count == 0 and not self.lexicon.known(spelling):
            return None
        # A word the bot's own texts use often outweighs a cheaper spelling that is merely a
        # word ("sam": "съм" over "сам"); among equals the usual reading wins.
        return 2.0 * math.log1p(count) - 0.8 * cost

    def spellings(self, token: str) -> list[tuple[int, str]]:
        """The token's spellings in the language's script, cheapest first (at most
        MAX_SPELLINGS); empty when a character has no reading."""
        found: list[tuple[int, str]] = []
        # (cost, position, spelled so far): a best-first walk, so the cap keeps the cheapest.
        queue: list[tuple[int, int, str]] = [(0, 0, "")]
        seen: set[tuple[int, str]] = set()
        steps = 0
        while queue and len(found) < MAX_SPELLINGS and steps < MAX_STEPS:
            steps += 1
            cost, position, spelled = heapq.heappop(queue)
            if position == len(token):
                found.append((cost, spelled))
                continue
            for length in range(min(self._longest, len(token) - position), 0, -1):
                readings = self.table.sequences.get(token[position : position + length])
                if readings is None:
                    continue
                for extra, reading in enumerate(readings):
                    state = (position + length, spelled + reading)
                    if state not in seen:
                        seen.add(state)
                        heapq.heappush(queue, (cost + extra, *state))
                # Only the longest sequence that matches is read here: its table entry lists
                # the readings of its parts too ("sh": ш or сх).
                break
        return found
