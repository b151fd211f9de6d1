"""The rules engine. Each signal of data/scam/<lang>.yml that a message raises is a Flag quoting
the part of the message that raised it; the marks of genuine notices ("do not share this code",
a link on the company's own address) lower the score. The verdict is never "safe": a message
without red flags is only that.

Score = the weights of the signals raised (each once) + the points of the learned scorer
(bot/core/scam/learned.py, when the rules have training examples; at most 0 when a genuine mark
is found, at least 0 when a red flag alone reaches `likely_scam`) - the weights of the genuine
marks found, never below 0; `suspicious` and `likely_scam` of the rules are the thresholds. A
message in which no pattern, link or sender raised a red flag gets one from the learned scorer
only when it is sure (from `learned.flag`, or from the lower `learned.alone`: then the message is
"suspicious" at most), and that flag quotes the words that weighed most: every warning names and
quotes what raised it. Otherwise such a message is "no red flags found".
A link the link checker calls dangerous makes the message "likely scam" whatever the score, so
the two never disagree; otherwise a mark marked `at_most_suspicious` (a warning about scams, which
quotes their red flags) keeps it at most "suspicious", and so does a signal marked
`alone_at_most_suspicious` when it is the only red flag (unless the learned scorer is sure;
the scorer's own flag, when so marked, always). From `learned.neutral` on, the scorer's points
are at least 0 and a red flag one point short of `suspicious` makes the message "suspicious"
(without a genuine mark): near one half the scorer cannot tell either way.
The rules' own verdict (`rules_verdict`) never counts the learned scorer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.content.models import Brand, ScamRules
from bot.core.links import LinkReport
from bot.core.scam.learned import LearnedScorer, ScorerStore
from bot.core.scam.literals import literals_of

Kind = Literal["likely_scam", "suspicious", "no_red_flags"]
VERDICTS: tuple[Kind, ...] = ("likely_scam", "suspicious", "no_red_flags")
MAX_QUOTE = 80  # characters of the message quoted for one flag
# A message is looked at up to this length: a verdict must stay fast whatever is pasted.
MAX_TEXT = 8000

_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Flag:
    """A red flag: its id, its plain-words name, the part of the message that raised it."""

    id: str
    name: str
    quote: str
    weight: int
    advice: str
    learned: bool = False  # the learned scorer's own flag, not one of the rules


@dataclass(frozen=True, slots=True)
class Mark:
    """A mark of a genuine notice found in the message, which lowers the score."""

    id: str
    name: str
    quote: str
    weight: int


@dataclass(frozen=True, slots=True)
class Assessment:
    verdict: Kind
    score: int
    flags: tuple[Flag, ...]
    genuine: tuple[Mark, ...]
    language: str
    learned: float | None = None  # the learned scorer's probability, when there is one
    # The verdict of the rules alone (without the learned scorer's points): what tells a
    # received message from the user's own question about one (bot/core/scam/received.py).
    rules_verdict: Kind | None = None


def quote_of(text: str) -> str:
    """The matched part as it is shown: on one line, at most MAX_QUOTE characters."""
    one_line = _SPACE.sub(" ", text).strip()
    if len(one_line) <= MAX_QUOTE:
        return one_line
    return one_line[: MAX_QUOTE - 1].rstrip() + "…"


class ScamEngine:
    """The compiled rules of one language."""

    def __init__(
        self,
        rules: ScamRules,
        brands: Sequence[Brand] = (),
        *,
        skip_unmatchable: bool = True,
        scorer_store: ScorerStore | None = None,
    ) -> None:
        """`skip_unmatchable=False` runs every pattern on every message: the same verdicts,
        slower (tests/test_scam_literals.py compares the two). `scorer_store` keeps the learned
        scorer's fitted numbers between processes (None: trained in each process)."""
        self.rules = rules
        self.language = rules.language
        self._signals = [(signal, _Patterns(signal.patterns)) for signal in rules.signals]
        self._genuine = [(mark, _Patterns(mark.patterns)) for mark in rules.genuine]
        self._caps = {mark.id: mark.at_most_suspicious for mark in rules.genuine}
        self._alone_caps = {s.id for s in rules.signals if s.alone_at_most_suspicious}
        self._followups = [
            (followup.id, _Patterns(followup.patterns)) for followup in rules.followups
        ]
        self._brands = [(brand, _brand_words(brand)) for brand in brands]
        # Which signals and marks (in this order) a message may raise at all: the others are
        # not run (bot/core/scam/literals.py). Built here, not at the first message (a quarter
        # of a second of CPU per language, which the first user would wait for), and once per
        # process for the same rules.
        self._owners = [
            (index, pattern)
            for index, (_, patterns) in enumerate([*self._signals, *self._genuine])
            for pattern in patterns.each
        ]
        self._literals = (
            literals_of(tuple(pattern.pattern for _, pattern in self._owners))
            if skip_unmatchable
            else None
        )
        training = rules.training
        self._scorer = (
            LearnedScorer(training.scam, training.genuine, scorer_store)
            if training is not None and rules.learned is not None
            else None
        )

    def assess(
        self, text: str, links: Sequence[LinkReport] = (), *, learned: bool = True
    ) -> Assessment:
        """With `learned=False` the learned scorer is not asked (its points are 0): enough for
        `rules_verdict`, which is all the screening of every message reads."""
        text = text[:MAX_TEXT]
        found_flags, found_marks, danger = self.found(text, links)
        flags, marks = list(found_flags), list(found_marks)
        return self._combined(text, flags, marks, danger, learned)

    def found(
        self, text: str, links: Sequence[LinkReport] = ()
    ) -> tuple[tuple[Flag, ...], tuple[Mark, ...], bool]:
        """What the rules and the link checker found in `text` (already cut to MAX_TEXT): the red
        flags, the genuine marks (none beside a dangerous link) and whether a link is dangerous.
        The learned scorer is not asked: `_combined` weighs its probability with these."""
        live = self._live(text)
        flags: list[Flag] = []
        for index, (signal, patterns) in enumerate(self._signals):
            if signal.detector == "learned":
                continue
            quote = _first_match(text, patterns, live, index)
            if quote is None and signal.links:
                quote = next((r.shown for r in links if r.verdict in signal.links), None)
            if quote is None and signal.detector == "sender_brand":
                quote = self._sender_not_brand(text)
            if quote is not None:
                flags.append(
                    Flag(signal.id, signal.name, quote_of(quote), signal.weight, signal.advice)
                )
        marks: list[Mark] = []
        for index, (mark, patterns) in enumerate(self._genuine, start=len(self._signals)):
            quote = _first_match(text, patterns, live, index)
            if quote is None and mark.links:
                quote = next((r.shown for r in links if r.verdict in mark.links), None)
            if quote is not None:
                marks.append(Mark(mark.id, mark.name, quote_of(quote), mark.weight))
        danger = bool(flags) and any(r.verdict == "danger" for r in links)
        if danger:
            # A link's shown text ("www.speedy.bg") over a dangerous target is no sign of a
            # genuine notice: it is how the trick works.
            marks = []
        return tuple(flags), tuple(marks), danger

    def _combined(
        self,
        text: str,
        flags: list[Flag],
        marks: list[Mark],
        danger: bool,
        learned: bool,
    ) -> Assessment:
        probability = (
            self._scorer.probability(text) if self._scorer is not None and learned else None
        )
        rules_score = max(0, sum(f.weight for f in flags) - sum(m.weight for m in marks))
        points = 0
        if probability is not None and self.rules.learned is not None:
            points = round(self.rules.learned.weight * (probability - self.rules.learned.offset))
            neutral = self.rules.learned.neutral
            if neutral is not None and probability >= neutral:
                # Near one half the scorer cannot tell: it does not talk a red flag down.
                points = max(points, 0)
            if marks:
                # A mark of a genuine message ("nothing urgent, just save it") is read by the
                # rules; the scorer, which learned the scams' words ("my new number"), may lower
                # the score still but not outweigh the mark.
                points = min(points, 0)
            elif any(f.weight >= self.rules.likely_scam for f in flags):
                # A red flag that alone makes a message "likely scam" (a request for a code, a
                # "safe account", a paid visit at home) is read by the rules: the scorer, which
                # has seen few messages of its wording, may raise the score but not talk it down.
                points = max(points, 0)
            if not flags:
                flags.extend(self._learned_flag(text, probability))
        score = max(0, sum(f.weight for f in flags) + points - sum(m.weight for m in marks))
        verdict = self._verdict(score) if flags else "no_red_flags"
        if verdict == "no_red_flags" and flags and all(f.learned for f in flags):
            # The scorer's own flag (from `learned.alone`, below its points' reach): a warning
            # that names its words, never a flag shown under "no red flags found".
            verdict = "suspicious"
        neutral = self.rules.learned.neutral if self.rules.learned is not None else None
        if (
            verdict == "no_red_flags"
            and not marks
            and probability is not None
            and neutral is not None
            and probability >= neutral
            and any(not f.learned and f.weight + 1 >= self.rules.suspicious for f in flags)
        ):
            # A red flag one point short of "suspicious" (an opener, a call-back number) needs
            # the scorer's point; where the scorer cannot tell either way, the flag stands.
            verdict = "suspicious"
        if verdict == "likely_scam" and any(self._caps[m.id] for m in marks):
            # A warning about scams quotes their red flags to describe them.
            verdict = "suspicious"
        sure = self.rules.learned.flag if self.rules.learned is not None else None
        if (
            verdict == "likely_scam"
            and len(flags) == 1
            and flags[0].id in self._alone_caps
            and (flags[0].learned or probability is None or sure is None or probability < sure)
        ):
            # A relative's "new number" that asks for nothing: the learned scorer's points,
            # which learned those words from scams, make it "likely" alone only when the scorer
            # is sure (from `learned.flag`); genuine family messages read the same. The scorer's
            # own flag, when capped, stays "suspicious" however sure it is: no rule found a red
            # flag to name.
            verdict = "suspicious"
        if danger:
            # The link checker already tells the user not to open such a link (a hidden target,
            # a brand's lookalike): the message holding it cannot be judged any milder.
            verdict = "likely_scam"
        return Assessment(
            verdict,
            score,
            tuple(flags),
            tuple(marks),
            self.language,
            probability,
            self._verdict(rules_score),
        )

    def _live(self, text: str) -> dict[int, list[re.Pattern[str]]] | None:
        """For each signal and mark (indexes, marks after the signals) whose patterns may match
        `text`, those patterns in the rules' order; None: every pattern is to be run."""
        if self._literals is None:
            return None
        live: dict[int, list[re.Pattern[str]]] = {}
        for flat in sorted(self._literals.possible(text)):
            owner, pattern = self._owners[flat]
            live.setdefault(owner, []).append(pattern)
        return live

    def _verdict(self, score: int) -> Kind:
        if score >= self.rules.likely_scam:
            return "likely_scam"
        if score >= self.rules.suspicious:
            return "suspicious"
        return "no_red_flags"

    def _learned_flag(self, text: str, probability: float) -> list[Flag]:
        """The learned scorer's own red flag, when it is sure of a message in which the rules
        found nothing: it quotes the words that weighed most towards a scam."""
        learned = self.rules.learned
        threshold = None if learned is None else learned.flag
        if learned is not None and learned.alone is not None:
            threshold = learned.alone if threshold is None else min(threshold, learned.alone)
        if self._scorer is None or threshold is None or probability < threshold:
            return []
        words = self._scorer.telling_words(text)
        if not words:
            return []
        return [
            Flag(s.id, s.name, quote_of(" … ".join(words)), s.weight, s.advice, learned=True)
            for s, _ in self._signals
            if s.detector == "learned"
        ]

    def followup(self, text: str) -> str | None:
        """Which follow-up a typed message is ("I already paid"), if any."""
        for followup_id, patterns in self._followups:
            if _first_match(text, patterns) is not None:
                return followup_id
        return None

    def _sender_not_brand(self, text: str) -> str | None:
        """An e-mail address in a message that names a brand, on a domain that is not the
        brand's: "DSK Bank <security@dsk-alerts.com>"."""
        addresses = [(m.group(0), m.group(1).lower()) for m in _EMAIL.finditer(text)]
        if not addresses:
            return None
        lowered = text.lower()
        for brand, words in self._brands:
            if not any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", lowered) for w in words):
                continue
            for address, domain in addresses:
                if not any(domain == d or domain.endswith("." + d) for d in brand.domains):
                    return address
        return None


class _Patterns:
    """The patterns of one signal, and all of them as one alternation: most signals match
    nothing in most messages, and one pass of the alternation says so faster than a pass of
    each pattern (about a quarter less time for the English rules)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.each = [re.compile(p, re.IGNORECASE) for p in patterns]
        self.any = (
            re.compile("|".join(f"(?:{p.pattern})" for p in self.each), re.IGNORECASE)
            if self.each
            else None
        )


def _first_match(
    text: str,
    patterns: _Patterns,
    live: dict[int, list[re.Pattern[str]]] | None = None,
    owner: int = 0,
) -> str | None:
    """The match of the first pattern that matches (in the order of the rules). With `live`
    (ScamEngine._live), only the patterns that may match are run, in the same order: those
    left out match nothing, so the first match is the same."""
    if live is not None:
        candidates = live.get(owner, ())
    elif patterns.any is None or patterns.any.search(text) is None:
        return None
    else:
        candidates = patterns.each
    for pattern in candidates:
        match = pattern.search(text)
        if match is not None and match.group(0).strip():
            return match.group(0)
    return None


def _brand_words(brand: Brand) -> tuple[str, ...]:
    """How a message names a brand: its names in every language, and its keywords of at least
    four letters (shorter ones, like "dsk", are parts of too many words)."""
    names = [brand.name] if isinstance(brand.name, str) else list(brand.name.values())
    words = {name.lower() for name in names}
    words.update(k for k in brand.keywords if len(k) >= 4)
    return tuple(sorted(words))
