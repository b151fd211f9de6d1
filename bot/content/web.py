"""The dashboard's words (data/ui/web/<lang>.yml), per language like the chat's, checked at
start-up: a file for every language the bot speaks, the same keys and the same {placeholders}
in each."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.catalog import ContentError, safe_yaml


@dataclass(frozen=True)
class WebTexts:
    strings: Mapping[str, Mapping[str, str]]  # language -> key -> text
    default_language: str

    def text(self, language: str, key: str, /, **values: object) -> str:
        """Plain text: the templates escape it (and the values in it) when they show it."""
        table = self.strings.get(language) or self.strings[self.default_language]
        return table[key].format_map({k: str(v) for k, v in values.items()})

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.strings)


def _names(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def load_web_texts(data_dir: Path, languages: Iterable[str], default_language: str) -> WebTexts:
    where = data_dir / "ui" / "web"
    tables: dict[str, dict[str, str]] = {}
    for language in languages:
        path = where / f"{language}.yml"
        try:
            raw = safe_yaml(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ContentError(f"{path}: {exc}") from exc
        strings = raw.get("strings") if isinstance(raw, dict) else None
        if not isinstance(strings, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in strings.items()
        ):
            raise ContentError(f"{path}: needs `strings:`, a mapping of keys to texts")
        tables[language] = strings
    reference = tables[default_language]
    for language, table in tables.items():
        missing = sorted(reference.keys() - table.keys())
        extra = sorted(table.keys() - reference.keys())
        if missing or extra:
            raise ContentError(f"{where}/{language}.yml: missing {missing}, unknown {extra}")
        for key, text in table.items():
            try:
                differ = _names(text) != _names(reference[key])
            except ValueError as exc:
                raise ContentError(f"{where}/{language}.yml: {key}: {exc}") from exc
            if differ:
                raise ContentError(
                    f"{where}/{language}.yml: {key}: placeholders differ from "
                    f"{default_language}.yml"
                )
    return WebTexts(tables, default_language)
