"""EventDraft as plain values (what the database stores, what an import row holds) and back.
The fields are the dataclass's own, so a new field cannot be forgotten in one of the copies."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bot.core.events import EventDraft, EventText

FIELDS = tuple(f.name for f in dataclasses.fields(EventDraft))


def text_values(text: EventText) -> dict[str, str]:
    values = {"title": text.title, "description": text.description}
    # Only when given: rows stored before per-language places then still equal a re-import
    # of the same file, which must change nothing (no new version, no notices).
    if text.place:
        values["place"] = text.place
    if text.organiser:
        values["organiser"] = text.organiser
    return values


def text_of(values: Mapping[str, str]) -> EventText:
    return EventText(
        values["title"], values.get("description", ""), values.get("place"), values.get("organiser")
    )


def draft_values(draft: EventDraft) -> dict[str, Any]:
    """Every field by its name; the texts as plain mappings (as JSON stores them)."""
    values = {name: getattr(draft, name) for name in FIELDS}
    values["texts"] = {lang: text_values(text) for lang, text in draft.texts.items()}
    return values


def draft_of(values: Mapping[str, Any]) -> EventDraft:
    """The inverse of draft_values; a field left out takes the dataclass's default."""
    given = {name: values[name] for name in FIELDS if name in values}
    given["texts"] = {lang: text_of(text) for lang, text in values["texts"].items()}
    return EventDraft(**given)
