"""Loads `data/typing/<lang>.yml` (how a language is typed in Latin letters) into readers, with
the word lists they rank spellings by: simplemma's dictionary of the language and the words of
the bot's own texts in it. A language without such a file is read as typed."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import Field, StringConstraints, ValidationError

from bot.content.catalog import safe_yaml
from bot.content.models import Strict
from bot.text.latin import LatinReader, Lexicon, TypingTable

Sequence = Annotated[str, StringConstraints(pattern=r"^[a-z0-9`']{1,4}$")]
Reading = Annotated[str, StringConstraints(pattern=r"^[^\W\d_]{1,4}$")]
_WORD = re.compile(r"[^\W\d_]+")


class TypingFile(Strict):
    language: str
    lexicon: str
    foreign_lexicon: str | None = None
    sequences: dict[Sequence, Annotated[list[Reading], Field(min_length=1)]]
    words: tuple[str, ...] = ()
    spelled: dict[Annotated[str, StringConstraints(pattern=r"^[a-z0-9`']+$")], str] = Field(
        default_factory=dict
    )
    keep: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")], ...] = ()


class TypingError(Exception):
    """A typing table is malformed, or names a word list that is not there."""


def load_readers(data_dir: Path, languages: Collection[str]) -> dict[str, LatinReader]:
    """One reader per language that has a typing table and is a language of the catalog."""
    readers = {}
    for path in sorted((data_dir / "typing").glob("*.yml")):
        typing = _read(path)
        if typing.language != path.stem or typing.language not in languages:
            raise TypingError(f"{path}: language {typing.language!r} is not a catalog language")
        counts = Counter(_words_of(data_dir, typing.language))
        counts.update(word.lower() for word in typing.words)
        known = _lexicon(path, typing.lexicon)
        foreign = _lexicon(path, typing.foreign_lexicon) if typing.foreign_lexicon else {}
        table = TypingTable(
            typing.language,
            {key: tuple(readings) for key, readings in typing.sequences.items()},
            frozenset(typing.keep),
            dict(typing.spelled),
        )
        readers[typing.language] = LatinReader(
            table, Lexicon(known.__contains__, counts, foreign.keys())
        )
    return readers


def _read(path: Path) -> TypingFile:
    try:
        return TypingFile.model_validate(safe_yaml(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise TypingError(f"{path}: {exc}") from None


@functools.cache
def _dictionary(language: str) -> Mapping[str, str]:
    # simplemma decompresses a language's dictionary (a fraction of a second) on first use.
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    return DefaultDictionaryFactory().get_dictionary(language)


def _lexicon(path: Path, language: str) -> Mapping[str, str]:
    try:
        return _dictionary(language)
    except ValueError:
        raise TypingError(f"{path}: simplemma has no word list for {language!r}") from None


def _words_of(data_dir: Path, language: str) -> Iterator[str]:
    """Every word of the bot's texts in `language`: answers, tips, checklists, quiz, UI."""
    files = [data_dir / "ui" / f"{language}.yml", data_dir / "quiz" / f"{language}.yml"]
    for kind in ("answers", "tips", "checklists"):
        files += sorted((data_dir / kind / language).glob("*.yml"))
    for path in files:
        if path.exists():
            for text in strings_in(safe_yaml(path.read_text(encoding="utf-8"))):
                yield from (word.lower() for word in _WORD.findall(text))


def strings_in(value: object) -> Iterator[str]:
    """Every string of a loaded YAML document, at any depth, in document order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
