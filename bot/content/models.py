"""The shapes of the files in `data/`, validated with pydantic when they are loaded."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.text.markup import check_markup

TopicKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    url: HttpUrl
    title: str = Field(min_length=3)
    checked: dt.date


def fill_placeholders(template: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "https://example.org/x", template)


def _markup(value: str) -> str:
    problem = check_markup(value)
    if problem:
        raise ValueError(problem)
    return value.strip()


class Section(Strict):
    key: TopicKey
    label: Label
    text: Annotated[str, Field(min_length=20, max_length=1500)]

    _valid_markup = field_validator("text")(_markup)


class Answer(Strict):
    topic: TopicKey
    title: Label
    summary: Annotated[str, Field(min_length=20, max_length=900)]
    sections: tuple[Section, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)

    _valid_markup = field_validator("summary")(_markup)

    @field_validator("sections")
    @classmethod
    def _unique_keys(cls, value: tuple[Section, ...]) -> tuple[Section, ...]:
        keys = [section.key for section in value]
        if len(keys) != len(set(keys)):
            raise ValueError(f"section keys repeat: {keys}")
        return value


class LanguageMeta(Strict):
    """How to recognise and present a language; adding a language means adding its ui file."""

    name: str
    native_name: str
    telegram_codes: tuple[str, ...] = Field(min_length=1)
    script: Annotated[str, StringConstraints(pattern=r"^(Latin|Cyrillic|Greek)$")]
    # Frequent words, including how speakers type the language in Latin letters, used to tell
    # the language of a message that the script alone does not decide.
    markers: frozenset[str] = frozenset()
    babel_locale: str
    # CLDR's minimumGroupingDigits, which Babel does not apply: with 2 (Bulgarian) a number
    # of four digits is written whole (1234) and longer ones grouped (12 345).
    minimum_grouping_digits: int = Field(default=1, ge=1, le=3)


# CLDR's plural categories; which of them a language uses comes from its rules (Babel).
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


class UiFile(Strict):
    meta: LanguageMeta
    # A text that shows a count is a mapping of CLDR plural category to text; the number it
    # counts is its {count}.
    strings: dict[str, str | dict[str, str]]

    @field_validator("strings")
    @classmethod
    def _valid_strings(
        cls, value: dict[str, str | dict[str, str]]
    ) -> dict[str, str | dict[str, str]]:
        for key, text in value.items():
            if not re.fullmatch(r"[a-z0-9_.]+", key):
                raise ValueError(f"bad string key {key!r}")
            forms = text if isinstance(text, dict) else {"": text}
            for category, form in forms.items():
                if isinstance(text, dict) and category not in PLURAL_CATEGORIES:
                    raise ValueError(f"{key}: {category!r} is not a CLDR plural category")
                # Placeholders are checked filled in, as a link target is one of them.
                problem = check_markup(fill_placeholders(form))
                if problem:
                    raise ValueError(f"{key}: {problem}")
        return value


class CampaignWindow(Strict):
    start_month: int = Field(ge=1, le=12)
    start_day: int = Field(ge=1, le=31)
    end_month: int = Field(ge=1, le=12)
    end_day: int = Field(ge=1, le=31)


class Campaign(Strict):
    window: CampaignWindow
    hashtags: tuple[str, ...] = ()
    themes: dict[int, dict[str, str]]
    sources: tuple[Source, ...] = Field(min_length=1)


class Tip(Strict):
    day: int = Field(ge=1, le=31)
    topic: TopicKey
    theme: Annotated[str, StringConstraints(pattern=r"^[a-z_]+$")]
    text: Annotated[str, Field(min_length=20, max_length=700)]
    sources: tuple[Source, ...] = Field(min_length=1)

    _valid_markup = field_validator("text")(_markup)


class TipFile(Strict):
    audience: Annotated[str, StringConstraints(pattern=r"^(citizen|business)$")]
    language: str
    tips: tuple[Tip, ...] = Field(min_length=1)

    @field_validator("tips")
    @classmethod
    def _days_in_order(cls, value: tuple[Tip, ...]) -> tuple[Tip, ...]:
        days = [tip.day for tip in value]
        if days != list(range(1, len(days) + 1)):
            raise ValueError(f"days must be 1..{len(days)} in order, found {days}")
        return value


class TimeZones(Strict):
    """The time zones offered as buttons; any IANA name can also be typed."""

    zones: tuple[str, ...] = Field(min_length=1, max_length=60)

    @field_validator("zones")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import zoneinfo

        for name in value:
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {name!r}") from exc
        return value


ItemKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,12}$")]
CHECKLIST_ANSWERS = ("done", "not_yet", "na")
SCOPE_ANSWERS = ("yes", "no", "unsure")
SCOPE_KEYS = ("sector", "size", "special")


class ChecklistItem(Strict):
    key: ItemKey
    weight: int = Field(ge=1, le=3)
    topic: TopicKey | None = None
    title: Annotated[str, Field(min_length=10, max_length=160)]
    why: Annotated[str, Field(min_length=10, max_length=450)]
    how: Annotated[str, Field(min_length=10, max_length=800)]
    sources: tuple[Source, ...] = Field(min_length=1)

    _valid_markup = field_validator("title", "why", "how")(_markup)


class ScopeQuestion(Strict):
    key: Annotated[str, StringConstraints(pattern=r"^(sector|size|special)$")]
    text: Annotated[str, Field(min_length=10, max_length=500)]

    _valid_markup = field_validator("text")(_markup)


class ScopeVerdict(Strict):
    when: dict[str, str]
    text: Annotated[str, Field(min_length=10, max_length=700)]

    _valid_markup = field_validator("text")(_markup)

    @field_validator("when")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        for key, answer in value.items():
            if key not in SCOPE_KEYS or answer not in SCOPE_ANSWERS:
                raise ValueError(f"unknown condition {key}: {answer}")
        return value

    def matches(self, answers: dict[str, str]) -> bool:
        return all(answers.get(key) == answer for key, answer in self.when.items())


class Scope(Strict):
    intro: Annotated[str, Field(min_length=10, max_length=500)]
    questions: tuple[ScopeQuestion, ...] = Field(min_length=1)
    verdicts: tuple[ScopeVerdict, ...] = Field(min_length=1)

    _valid_markup = field_validator("intro")(_markup)

    @field_validator("verdicts")
    @classmethod
    def _default_last(cls, value: tuple[ScopeVerdict, ...]) -> tuple[ScopeVerdict, ...]:
        if value[-1].when:
            raise ValueError("the last verdict must have `when: {}` (the default)")
        return value


class Band(Strict):
    min: int = Field(ge=0, le=100)
    label: Label
    text: Annotated[str, Field(min_length=10, max_length=400)]

    _valid_markup = field_validator("text")(_markup)


class Checklist(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,16}$")]
    language: str
    button: Label
    title: Annotated[str, Field(min_length=3, max_length=80)]
    intro: Annotated[str, Field(min_length=10, max_length=700)]
    scope: Scope | None = None
    items: tuple[ChecklistItem, ...] = Field(min_length=3, max_length=40)
    bands: tuple[Band, ...] = Field(min_length=2)

    _valid_markup = field_validator("intro")(_markup)

    @field_validator("items")
    @classmethod
    def _unique_items(cls, value: tuple[ChecklistItem, ...]) -> tuple[ChecklistItem, ...]:
        keys = [item.key for item in value]
        if len(keys) != len(set(keys)):
            raise ValueError(f"item keys repeat: {keys}")
        return value

    @field_validator("bands")
    @classmethod
    def _bands_descending(cls, value: tuple[Band, ...]) -> tuple[Band, ...]:
        mins = [band.min for band in value]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0 or len(set(mins)) != len(mins):
            raise ValueError(f"band minimums must be descending and end with 0, found {mins}")
        return value

    def band(self, score: int) -> Band:
        return next(band for band in self.bands if score >= band.min)

    def shape(self) -> tuple[object, ...]:
        """What must be identical in every language: keys, weights, topics, scope, bands."""
        scope = None
        if self.scope is not None:
            scope = (
                tuple(q.key for q in self.scope.questions),
                tuple(tuple(sorted(v.when.items())) for v in self.scope.verdicts),
            )
        return (
            tuple((i.key, i.weight, i.topic) for i in self.items),
            scope,
            tuple(b.min for b in self.bands),
        )


class QuizQuestion(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^q[0-9]{2,3}$")]
    kind: Annotated[str, StringConstraints(pattern=r"^(spot|myth|next_step)$")]
    topic: TopicKey
    question: Annotated[str, Field(min_length=10, max_length=700)]
    options: tuple[Annotated[str, Field(min_length=1, max_length=120)], ...] = Field(
        min_length=2, max_length=4
    )
    answer: int = Field(ge=0, le=3)
    explanation: Annotated[str, Field(min_length=10, max_length=600)]
    sources: tuple[Source, ...] = Field(min_length=1)

    _valid_markup = field_validator("question", "explanation")(_markup)

    @field_validator("answer")
    @classmethod
    def _answer_in_range(cls, value: int, info: Any) -> int:
        options = info.data.get("options")
        if options is not None and value >= len(options):
            raise ValueError(f"answer {value} but only {len(options)} options")
        return value


class QuizFile(Strict):
    language: str
    questions: tuple[QuizQuestion, ...] = Field(min_length=2)

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, value: tuple[QuizQuestion, ...]) -> tuple[QuizQuestion, ...]:
        ids = [q.id for q in value]
        if len(ids) != len(set(ids)):
            raise ValueError(f"question ids repeat: {ids}")
        return value


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
BrandName = Annotated[str, StringConstraints(min_length=2, max_length=60)]
# A host name as DNS writes it (lower case, ASCII): "dskbank.bg", "sites.google.com".
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
Host = Annotated[str, StringConstraints(pattern=rf"^{_LABEL}(?:\.{_LABEL})+$")]


class Brand(Strict):
    # One name for every language, or a name per language ({en: DSK Bank, bg: Банка ДСК}); a
    # language without a name of its own reads the default language's (load_catalog checks that
    # the default language has one).
    name: BrandName | dict[LanguageCode, BrandName]
    domains: tuple[Host, ...] = Field(min_length=1)
    # Words of the brand that a fake address would carry ("dsk", "speedy"); at least 3 letters.
    keywords: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{3,30}$")], ...] = Field(
        min_length=1
    )
    # Where the domains were confirmed as the brand's own, when that was recorded.
    source: Source | None = None

    def name_in(self, language: str, default_language: str) -> str:
        if isinstance(self.name, str):
            return self.name
        return (
            self.name.get(language)
            or self.name.get(default_language)
            or next(iter(self.name.values()))
        )


class LinkRules(Strict):
    """What the offline link checker knows: official domains of brands scammers imitate, hosts
    where anyone can make a page, and the kinds of addresses that deserve suspicion."""

    brands: tuple[Brand, ...] = Field(min_length=1)
    # Hosts where anyone can make a page or a link, by kind ("messenger", "shortener"...): the
    # address is the service's own, the person behind the page is unknown.
    user_content: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,29}$")], frozenset[Host]
    ] = Field(min_length=1)
    risky_tlds: frozenset[str]
    sensitive_words: frozenset[str]
    # A government's name in an address outside the governments' own domains (round 8).
    government_words: frozenset[str] = frozenset()
    # Brand keywords that are everyday words ("booking", "apple"): a host carries one only as a
    # word of its own (between dots and dashes) or its plural, not inside a longer word
    # (bookingdirect.ie, pineapple-farm.ie). Round 9 (scamq9).
    everyday_keywords: frozenset[str] = frozenset()
    # Whole suffixes (gov, mil) or domains; a host at or under one is a government's.
    government_domains: frozenset[
        Annotated[str, StringConstraints(pattern=rf"^{_LABEL}(?:\.{_LABEL})*$")]
    ] = frozenset()
    sources: tuple[Source, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _everyday_keywords_are_keywords(self) -> LinkRules:
        keywords = {k for brand in self.brands for k in brand.keywords}
        unknown = sorted(self.everyday_keywords - keywords)
        if unknown:
            raise ValueError(f"everyday_keywords: {', '.join(unknown)} is no brand's keyword")
        return self

    @model_validator(mode="after")
    def _one_verdict_per_host(self) -> LinkRules:
        # A host listed twice would get whichever verdict the checker happened to read last.
        kind_of: dict[str, str] = {}
        for kind, hosts in self.user_content.items():
            for host in sorted(hosts):
                if host in kind_of:
                    raise ValueError(
                        f"user_content.{kind}: {host} is also in user_content.{kind_of[host]}"
                    )
                kind_of[host] = kind
        owner: dict[str, int] = {}
        for index, brand in enumerate(self.brands):
            for domain in brand.domains:
                if domain in kind_of:
                    raise ValueError(
                        f"brands.{index}.domains: {domain} is also a host where anyone can make a "
                        f"page (user_content.{kind_of[domain]}); list it in one place only"
                    )
                if domain in owner:
                    raise ValueError(
                        f"brands.{index}.domains: {domain} is also a domain of "
                        f"brands.{owner[domain]}"
                    )
                owner[domain] = index
        return self


class Region(Strict):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,19}$")]
    # Names per language; the language codes are the other keys.
    model_config = ConfigDict(extra="allow", frozen=True)

    def names(self) -> dict[str, str]:
        return {k: str(v) for k, v in (self.model_extra or {}).items()}


class Regions(Strict):
    regions: tuple[Region, ...] = Field(min_length=1)

    @field_validator("regions")
    @classmethod
    def _unique(cls, value: tuple[Region, ...]) -> tuple[Region, ...]:
        keys = [r.key for r in value]
        if len(keys) != len(set(keys)):
            raise ValueError(f"region keys repeat: {keys}")
        return value


# --- the message check ("Is this a scam?"): data/scam/<lang>.yml -----------------------------

ScamId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,29}$")]
# The link checker's verdicts (bot/core/links.py) a signal may be raised by.
LinkVerdictName = Literal["danger", "suspicious", "official", "user_content", "no_signs", "invalid"]
Pattern = Annotated[str, StringConstraints(min_length=2, max_length=600)]


def _compiles(value: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in value:
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r}: {exc}") from exc
    return value


class ScamSignal(Strict):
    """A red flag: its plain-words name (shown with the part of the message it matched), what
    raises it (patterns of the text, verdicts of the link checker, or a detector of the core),
    how much it weighs, and one sentence of advice."""

    id: ScamId
    name: Annotated[str, Field(min_length=3, max_length=120)]
    weight: int = Field(ge=1, le=10)
    patterns: tuple[Pattern, ...] = ()
    links: frozenset[LinkVerdictName] = frozenset()
    detector: Literal["sender_brand", "learned"] | None = None
    advice: Annotated[str, Field(min_length=10, max_length=400)]
    # Raised alone (no other red flag of the rules), this signal keeps the message at most
    # "suspicious" unless the learned scorer is sure (`learned.flag`) or a link is dangerous: a
    # "new number" with nothing asked is how relatives write too.
    alone_at_most_suspicious: bool = False

    _valid_patterns = field_validator("patterns")(_compiles)
    _valid_markup = field_validator("advice")(_markup)

    @model_validator(mode="after")
    def _raised_by_something(self) -> ScamSignal:
        if not (self.patterns or self.links or self.detector):
            raise ValueError(f"signal {self.id!r}: no patterns, links or detector")
        return self


class GenuineMark(Strict):
    """A mark of a genuine notice ("do not share this code"): lowers the score by its weight."""

    id: ScamId
    name: Annotated[str, Field(min_length=3, max_length=120)]
    weight: int = Field(ge=1, le=10)
    patterns: tuple[Pattern, ...] = ()
    links: frozenset[LinkVerdictName] = frozenset()
    # A message with this mark is at most "suspicious" (unless a link is dangerous): a warning
    # about scams quotes their red flags ("a safe account", "a code") to describe them.
    at_most_suspicious: bool = False

    _valid_patterns = field_validator("patterns")(_compiles)

    @model_validator(mode="after")
    def _raised_by_something(self) -> GenuineMark:
        if not (self.patterns or self.links):
            raise ValueError(f"genuine mark {self.id!r}: no patterns or links")
        return self


class FollowUp(Strict):
    """ "I already clicked / paid / gave a code": its button, how a typed one reads, the steps."""

    id: ScamId
    button: Label
    patterns: tuple[Pattern, ...] = Field(min_length=1)
    steps: Annotated[str, Field(min_length=20, max_length=1500)]

    _valid_patterns = field_validator("patterns")(_compiles)
    _valid_markup = field_validator("steps")(_markup)


class LearnedWeight(Strict):
    """How the learned scorer's probability p (bot/core/scam/learned.py) counts beside the red
    flags: round(weight * (p - offset)) points, fewer than none below the offset. From `flag` on,
    a message in which the rules found nothing gets the signal whose detector is "learned". From
    `neutral` on, the points are never below 0: a probability near one half says nothing either
    way, so it does not talk a red flag of the rules down. From `alone` on (when below `flag`),
    the learned signal is raised already, and a message it alone flags is at least "suspicious"
    (at most too, when the signal is `alone_at_most_suspicious`); `flag` stays the probability at
    which the scorer is sure enough to let a red flag that is alone at most "suspicious" make the
    message "likely scam"."""

    weight: float = Field(gt=0, le=20)
    offset: float = Field(ge=0, le=1)
    flag: float | None = Field(default=None, gt=0, le=1)
    neutral: float | None = Field(default=None, ge=0, le=1)
    alone: float | None = Field(default=None, gt=0, le=1)


class ScamTraining(Strict):
    """The examples the learned scorer is trained on as the bot starts
    (data/scam/training/<lang>.yml): where they come from, and the texts by label."""

    language: str
    source: Annotated[str, Field(min_length=20)]
    scam: tuple[Annotated[str, Field(min_length=1)], ...] = Field(min_length=5)
    genuine: tuple[Annotated[str, Field(min_length=1)], ...] = Field(min_length=5)


class ScamRules(Strict):
    language: str
    suspicious: int = Field(ge=1)
    likely_scam: int = Field(ge=1)
    signals: tuple[ScamSignal, ...] = Field(min_length=1)
    genuine: tuple[GenuineMark, ...] = ()
    # What the learned scorer adds; it never raises a verdict on its own: a message needs at
    # least one red flag of the rules to be shown as one.
    learned: LearnedWeight | None = None
    # Read from data/scam/training/<lang>.yml by the catalog, not written in the rules file.
    training: ScamTraining | None = None
    followups: tuple[FollowUp, ...] = Field(min_length=1)
    act_now: Annotated[str, Field(min_length=20, max_length=1500)]
    report: Annotated[str, Field(min_length=20, max_length=1500)]
    sources: tuple[Source, ...] = Field(min_length=1)

    _valid_markup = field_validator("act_now", "report")(_markup)

    @model_validator(mode="after")
    def _consistent(self) -> ScamRules:
        if self.suspicious >= self.likely_scam:
            raise ValueError("suspicious must be lower than likely_scam")
        ids = [s.id for s in self.signals] + [g.id for g in self.genuine]
        if len(ids) != len(set(ids)):
            raise ValueError(f"signal and genuine ids repeat: {ids}")
        followups = [f.id for f in self.followups]
        if len(followups) != len(set(followups)):
            raise ValueError(f"follow-up ids repeat: {followups}")
        return self

    def shape(self) -> tuple[object, ...]:
        """What must be identical in every language: ids, weights, what raises each signal,
        the thresholds."""
        return (
            self.suspicious,
            self.likely_scam,
            tuple(
                (s.id, s.weight, tuple(sorted(s.links)), s.detector, s.alone_at_most_suspicious)
                for s in self.signals
            ),
            tuple(
                (g.id, g.weight, tuple(sorted(g.links)), g.at_most_suspicious) for g in self.genuine
            ),
            tuple(f.id for f in self.followups),
            (self.learned.weight, self.learned.offset, self.learned.flag, self.learned.neutral)
            if self.learned
            else None,
        )
