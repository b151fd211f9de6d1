"""The shapes of the files in `data/`, validated with pydantic when they are loaded."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, field_validator

from bot.core.markup import check_markup

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
    default_timezone: str


class UiFile(Strict):
    meta: LanguageMeta
    strings: dict[str, str]

    @field_validator("strings")
    @classmethod
    def _valid_strings(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not re.fullmatch(r"[a-z0-9_.]+", key):
                raise ValueError(f"bad string key {key!r}")
            # Placeholders are checked filled in, as a link target is one of them.
            problem = check_markup(fill_placeholders(text))
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
