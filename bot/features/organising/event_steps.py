"""The /newevent wizard's questions, declared as a table (the way a ConversationHandler declares
its states): in order, what each fills, whether it may be skipped, and which buttons answer it.
The limits of the typed answers are check_draft's (bot.core.events.LENGTHS)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EVENT_FLOW = "newevent"


@dataclass(frozen=True, slots=True)
class Step:
    name: str  # where the answer is kept, and what the Keep/Skip button names ("title_en")
    field: str  # the EventDraft field it fills: the question asked and the check of the answer
    language: str | None = None  # for a text asked in each language
    optional: bool = False  # may be skipped
    choices: str | None = None  # the callback action of the buttons that answer it, if any


def event_steps(languages: Iterable[str]) -> tuple[Step, ...]:
    texts = [
        Step(f"{field}_{lang}", field, language=lang)
        for lang in languages
        for field in ("title", "description")
    ]
    return (
        *texts,
        Step("timezone", "timezone", choices="nz"),
        Step("start", "start"),
        Step("end", "end"),
        Step("place", "place", optional=True),
        Step("online_url", "online_url", optional=True),
        Step("region", "region", choices="nr"),
        Step("audience", "audience", choices="na"),
        Step("organiser", "organiser"),
        Step("link", "link", optional=True),
    )
