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
            problem = check_markup(text)
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
