"""Known scam waves ("scam alerts") and how a received message is recognised as one of them.

An alert carries, per language, what organisers wrote about the wave and example texts of it.
A message matches an alert when it is a near-duplicate of one of its examples: scammers change
the amount, the name, the number and the link in every copy, and a lookalike Latin letter in a
Cyrillic word, so those are normalised away first (placeholders, one script per word) and the
rest compared with rapidfuzz. The measure and its threshold were chosen on the dev examples of
tests/test_alert_matching.py (docs/benchmarks.md, "Scam alerts").

Bulgarian typed in Latin letters ("zdravei mamo, tova e noviqt mi nomer") is read into Cyrillic
the way the bot reads it before the NLU (bot/core/latin_typing.py), and the examples are read the
same way, so a Latin-typed copy matches a wave published in Cyrillic.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz import fuzz

TITLE_MAX = 120
TEXT_MAX = 1500
EXAMPLE_MAX = 1000
EXAMPLES_MAX = 10
# A match needs this much likeness to an example (0-100) once amounts, numbers and links are
# out of the way. On the dev examples copies score 82 or more and everything else 55 or less.
THRESHOLD = 70.0
# Fewer words than this after normalising say too little to call a message a known wave
# ("пиши ми" is in many harmless messages).
MIN_TOKENS = 4
# What is compared of a long message: a pasted e-mail's first part holds the scam's wording.
MESSAGE_MAX = 3000


class AlertStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class AlertContent:
    """What an alert says in one language."""

    title: str
    looks_like: str  # what the messages of the wave look like
    advice: str  # what to do
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """What an organiser writes: the texts by language, the language they fall back to, and
    where the wave was reported (an official source, when there is one)."""

    content: Mapping[str, AlertContent]
    default_language: str
    source_url: str = ""


@dataclass(frozen=True, slots=True)
class ScamAlert:
    """A known scam wave. `content` is by language; a language missing from it is shown in
    `default_language`, which must be present."""

    id: int
    content: Mapping[str, AlertContent]
    default_language: str
    source_url: str = ""
    status: AlertStatus = AlertStatus.DRAFT
    published: dt.date | None = None
    created_by: int | None = None  # the organiser; None from the command line
    matches: int = 0  # how many checked messages matched it

    @property
    def draft(self) -> AlertDraft:
        return AlertDraft(self.content, self.default_language, self.source_url)

    def in_language(self, language: str) -> AlertContent:
        return self.content.get(language) or self.content[self.default_language]

    def examples(self) -> list[str]:
        """Every example, in every language: a wave is recognised whatever language it is
        asked about in."""
        return [example for content in self.content.values() for example in content.examples]


@dataclass(frozen=True, slots=True)
class AlertMatch:
    """A message recognised as a known wave: what to tell the person, in their language."""

    alert_id: int
    title: str
    advice: str
    published: dt.date
    similarity: float  # 0-100
    looks_like: str = ""
    source_url: str = ""


@dataclass(frozen=True, slots=True)
class AlertProblem:
    """Why an alert cannot be published: `code` names it (`missing`, `too_long`, `url`,
    `default_language`, `too_many_examples`), `field` and `language` say where."""

    code: str
    field: str = ""
    language: str = ""


# --- normalisation ----------------------------------------------------------------------------

# Latin letters that look like Cyrillic ones (and back): "Bаша kaрта" typed to dodge filters.
_LATIN_LOOKALIKES = "aceopxykmhtbiABCEHKMOPTXY"
_CYRILLIC_LOOKALIKES = "асеорхукмнтвіАВСЕНКМОРТХУ"
_LATIN_TO_CYRILLIC = str.maketrans(_LATIN_LOOKALIKES, _CYRILLIC_LOOKALIKES)
_CYRILLIC_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES, _LATIN_LOOKALIKES)
# Digits that stand for letters inside words ("P0ЩA", "Ban4o" is left alone: 4 is no letter).
_DIGIT_IN_CYRILLIC = str.maketrans("03", "оз")
_DIGIT_IN_LATIN = str.maketrans("0", "o")

_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}(?:/\S*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CURRENCY = r"(?:лв\.?|лева|лев|bgn|eur|евро|€|\$|usd|долара|gbp|£|стотинки|ст\.)"
_NUMBER = r"\d+(?:[ .,]\d{3})*(?:[.,]\d+)?"
_AMOUNT = re.compile(
    rf"(?:{_CURRENCY}\s?{_NUMBER}|{_NUMBER}\s?{_CURRENCY})(?!\w)",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ()/-]{6,}\d")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# The placeholders survive _WORD as words of their own, and contain no letter a scam would use.
URL, EMAIL, AMOUNT, PHONE, NUMBER = "ǀurl", "ǀemail", "ǀamount", "ǀphone", "ǀnum"
_PLACEHOLDERS = {URL, EMAIL, AMOUNT, PHONE, NUMBER}


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _one_script(word: str) -> str:
    """A word written in two scripts is read in the script of its letters that have no
    lookalike in the other ("P0ЩA": Щ), or else the one most of its letters are in."""
    cyrillic = [char for char in word if _is_cyrillic(char)]
    latin = [char for char in word if char.isascii() and char.isalpha()]
    if not cyrillic or not (latin or any(char in "03" for char in word)):
        return word
    only_cyrillic = any(char not in _CYRILLIC_LOOKALIKES for char in cyrillic)
    only_latin = any(char not in _LATIN_LOOKALIKES for char in latin)
    by_letters = only_cyrillic if only_cyrillic != only_latin else None
    if by_letters if by_letters is not None else len(cyrillic) >= len(latin):
        return word.translate(_LATIN_TO_CYRILLIC).translate(_DIGIT_IN_CYRILLIC)
    return word.translate(_CYRILLIC_TO_LATIN).translate(_DIGIT_IN_LATIN)


def tokens(text: str) -> list[str]:
    """The words of a message with what changes from copy to copy replaced by placeholders:
    links, e-mail addresses, amounts, phone numbers and other numbers. Lower case, one script
    per word, no punctuation."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub(f" {EMAIL} ", text)
    text = _URL.sub(f" {URL} ", text)
    text = _AMOUNT.sub(f" {AMOUNT} ", text)
    text = _PHONE.sub(f" {PHONE} ", text)
    words: list[str] = []
    for raw in text.split():
        if raw in _PLACEHOLDERS:
            words.append(raw)
            continue
        word = _one_script(raw).casefold()
        word = _DIGITS.sub(f" {NUMBER} ", word)
        for part in word.split():
            if part in _PLACEHOLDERS:
                words.append(part)
            else:
                words.extend(_WORD.findall(part))
    return words


def normalise(text: str) -> str:
    return " ".join(tokens(text))


# --- matching ---------------------------------------------------------------------------------


def _normalised(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(form for text in texts if (form := normalise(text))))


def _enough(message: str) -> str | None:
    """The normalised message, if it says enough to be called a known wave (MIN_TOKENS)."""
    words = sum(1 for word in message.split() if word not in _PLACEHOLDERS)
    return message if words >= MIN_TOKENS else None


def similarity(message: str, example: str, cutoff: float = 0.0) -> float:
    """How alike (0-100) a message is to an example, both already normalised: the edit-distance
    ratio of the two, or, when the message is the longer one, of the example and the part of
    the message most like it, so a copy pasted with "is this real?" around it still matches.
    Below `cutoff` the answer is 0 (rapidfuzz stops early: five times faster on long texts).

    Measured against rapidfuzz's token-set ratio, its partial ratio, WRatio and Jaccard or
    containment of shingles (what MinHash estimates), this separated copies of a wave from
    everything else best (bench/alert_matching.py): the token-set ratio scores a short message
    whose words are all in an example as a copy, containment grows with a message's length and
    Jaccard falls with it.
    """
    if not message or not example:
        return 0.0
    if len(message) > len(example):
        return float(fuzz.partial_ratio(example, message, score_cutoff=cutoff))
    return float(fuzz.ratio(message, example, score_cutoff=cutoff))


# How the bot reads a message typed in Latin letters in its language's script (the text
# unchanged when it is no such message): bot.core.latin_typing.read_message.
Reading = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class _Entry:
    alert: ScamAlert
    examples: tuple[str, ...]  # normalised as written
    read: tuple[str, ...]  # normalised as the bot reads them (Latin-typed ones in Cyrillic)
    both: tuple[str, ...]  # either way, each once


class AlertIndex:
    """The published alerts with their examples normalised once, to match many messages.

    With `read`, both sides are compared the way the bot reads them: a message that reading
    changes (Latin-typed Bulgarian) as written against the examples as written, and as read
    against the examples as read; a message that reading leaves as it is against the examples
    both ways (an organiser may have pasted a Latin-typed example). Where reading changes
    nothing, that is one comparison per example, as without it."""

    def __init__(self, alerts: Iterable[ScamAlert], read: Reading | None = None) -> None:
        self.read = read
        entries = []
        for alert in alerts:
            if alert.status != AlertStatus.PUBLISHED or alert.published is None:
                continue
            examples = _normalised(alert.examples())
            as_read = _normalised(read(text) for text in alert.examples()) if read else examples
            entries.append(_Entry(alert, examples, as_read, _normalised(examples + as_read)))
        self.entries: tuple[_Entry, ...] = tuple(entries)

    def __len__(self) -> int:
        return len(self.entries)

    def best(self, text: str, threshold: float = THRESHOLD) -> tuple[ScamAlert, float] | None:
        """The alert whose example the message is most like, if it is like it enough."""
        text = text[:MESSAGE_MAX]
        message = _enough(normalise(text))
        as_read = self.read(text) if self.read is not None else text
        read = _enough(normalise(as_read)) if as_read != text else None
        best: tuple[ScamAlert, float] | None = None
        for entry in self.entries:
            pairs = (
                ((message, entry.both),)
                if read is None or read == message
                else ((message, entry.examples), (read, entry.read))
            )
            for form, against in pairs:
                if form is None:
                    continue
                for example in against:
                    score = similarity(form, example, cutoff=threshold)
                    if score >= threshold and (best is None or score > best[1]):
                        best = (entry.alert, score)
        return best

    def match(self, text: str, language: str, threshold: float = THRESHOLD) -> AlertMatch | None:
        """The known wave a message belongs to, told in `language` (or the alert's default)."""
        found = self.best(text, threshold)
        if found is None:
            return None
        alert, score = found
        content = alert.in_language(language)
        assert alert.published is not None  # the index holds published alerts only
        return AlertMatch(
            alert_id=alert.id,
            title=content.title,
            advice=content.advice,
            published=alert.published,
            similarity=round(score, 1),
            looks_like=content.looks_like,
            source_url=alert.source_url,
        )


def match(
    text: str,
    alerts: Iterable[ScamAlert],
    language: str,
    threshold: float = THRESHOLD,
    read: Reading | None = None,
) -> AlertMatch | None:
    """The known wave a message belongs to, among `alerts` (only published ones count)."""
    return AlertIndex(alerts, read).match(text, language, threshold)


# --- checking what organisers write -----------------------------------------------------------

SOURCE_URL = re.compile(r"^https?://[^\s<>\"']{4,500}$")


def check(
    content: Mapping[str, AlertContent],
    default_language: str,
    source_url: str,
    languages: Sequence[str],
) -> AlertProblem | None:
    """The first thing wrong with an alert, or None. `languages` are the bot's languages."""
    if default_language not in content:
        return AlertProblem("default_language", language=default_language)
    for language, text in content.items():
        if language not in languages:
            return AlertProblem("language", language=language)
        for name, value, limit in (
            ("title", text.title, TITLE_MAX),
            ("looks_like", text.looks_like, TEXT_MAX),
            ("advice", text.advice, TEXT_MAX),
        ):
            if not value.strip():
                return AlertProblem("missing", field=name, language=language)
            if len(value) > limit:
                return AlertProblem("too_long", field=name, language=language)
        if len(text.examples) > EXAMPLES_MAX:
            return AlertProblem("too_many_examples", field="examples", language=language)
        if any(len(example) > EXAMPLE_MAX for example in text.examples):
            return AlertProblem("too_long", field="examples", language=language)
    if not any(text.examples for text in content.values()):
        return AlertProblem("missing", field="examples", language=default_language)
    if source_url and not SOURCE_URL.match(source_url):
        return AlertProblem("url", field="source_url")
    return None


def draft_from(raw: object) -> AlertDraft | AlertProblem:
    """An alert as written in a file (`ecsm-bot alerts publish --file`, README "Scam alerts"):
    `default_language`, an optional `source`, and `texts` by language, each with `title`,
    `looks_like`, `advice` and a list of `examples`. What is missing is left empty for `check`
    to name; a file of another shape is the problem `format`."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("texts"), Mapping):
        return AlertProblem("format")
    content: dict[str, AlertContent] = {}
    for language, text in raw["texts"].items():
        examples = text.get("examples", []) if isinstance(text, Mapping) else None
        if not isinstance(text, Mapping) or not isinstance(examples, list):
            return AlertProblem("format", language=str(language))
        content[str(language)] = AlertContent(
            str(text.get("title") or "").strip(),
            str(text.get("looks_like") or "").strip(),
            str(text.get("advice") or "").strip(),
            tuple(str(example).strip() for example in examples if str(example).strip()),
        )
    default = str(raw.get("default_language") or next(iter(content), ""))
    return AlertDraft(content, default, str(raw.get("source") or "").strip())


def raw_of(draft: AlertDraft) -> dict[str, Any]:
    """An alert in the file's shape (the inverse of `draft_from`): `ecsm-bot alerts show ID`
    prints it, to be changed and given back to `ecsm-bot alerts edit ID --file`."""
    raw: dict[str, Any] = {"default_language": draft.default_language}
    if draft.source_url:
        raw["source"] = draft.source_url
    raw["texts"] = {
        language: {
            "title": text.title,
            "looks_like": text.looks_like,
            "advice": text.advice,
            "examples": list(text.examples),
        }
        for language, text in draft.content.items()
    }
    return raw


def changed(
    draft: AlertDraft,
    language: str,
    *,
    title: str | None = None,
    looks_like: str | None = None,
    advice: str | None = None,
    examples: Sequence[str] | None = None,
    source_url: str | None = None,
) -> AlertDraft:
    """`draft` with the fields given changed in `language` (a language it lacks is added, its
    other fields empty for `check` to name) and the source, when given, replaced; `examples`
    replace the language's examples. What is None stays as it was."""
    before = draft.content.get(language, AlertContent("", "", ""))
    after = AlertContent(
        before.title if title is None else title.strip(),
        before.looks_like if looks_like is None else looks_like.strip(),
        before.advice if advice is None else advice.strip(),
        before.examples
        if examples is None
        else tuple(example.strip() for example in examples if example.strip()),
    )
    source = draft.source_url if source_url is None else source_url.strip()
    return AlertDraft({**draft.content, language: after}, draft.default_language, source)


# --- ports ------------------------------------------------------------------------------------


class AlertStore(Protocol):
    """The alerts, their match counts and their fan-out to the people who opted in."""

    async def create(self, draft: AlertDraft, by: int | None, now: dt.datetime) -> ScamAlert:
        """A new draft."""
        ...

    async def get(self, alert_id: int) -> ScamAlert | None: ...

    async def find(self, statuses: Collection[AlertStatus] = ()) -> list[ScamAlert]:
        """Newest first; every status when `statuses` is empty."""
        ...

    async def edit(self, alert_id: int, draft: AlertDraft, now: dt.datetime) -> ScamAlert | None:
        """New texts for a draft or published alert; None when it is missing or retired."""
        ...

    async def publish(
        self, alert_id: int, payloads: Mapping[str, dict[str, Any]], now: dt.datetime
    ) -> ScamAlert | None:
        """Publish a draft, dated today (UTC), and leave `payloads` (the message by language)
        for the planner to queue for everyone who opted in. None when it is not a draft."""
        ...

    async def retire(self, alert_id: int, now: dt.datetime) -> ScamAlert | None:
        """Stop matching it and withdraw what still waits of its messages; None when missing
        (retiring twice changes nothing)."""
        ...

    async def count_match(self, alert_id: int, now: dt.datetime) -> None:
        """One more message matched it today (for the dashboard)."""
        ...


class AlertOptIns(Protocol):
    """Who asked to be told of new scam alerts."""

    async def is_on(self, user_id: int) -> bool: ...

    async def set(self, user_id: int, on: bool, now: dt.datetime) -> bool:
        """Turn alerts on or off; False when nothing changed."""
        ...
