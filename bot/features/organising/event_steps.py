"""The /newevent wizard's questions, declared as a table (the way a ConversationHandler declares
its states): in order, what each fills, whether it may be skipped, and which buttons answer it.
The limits of the typed answers are check_draft's (bot.core.events.LENGTHS)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.ports import PendingInput

EVENT_FLOW = "newevent"
# After the last question: the event as users will see it, with Save.
PREVIEW = "preview"


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


@dataclass
class EventForm:
    """The wizard's state: the step asked (a step's name, or PREVIEW), the answers so far by
    step name (times as YYYY-MM-DD HH:MM in the event's zone; for an edit also the event's `key`
    and `country`), and the event edited. Kept in the conversation store as flat strings."""

    step: str
    answers: dict[str, str] = field(default_factory=dict)
    event_id: int | None = None

    def pending(self) -> PendingInput:
        data = {**self.answers, "step": self.step}
        if self.event_id is not None:
            data["event_id"] = str(self.event_id)
        return PendingInput(EVENT_FLOW, data)

    @classmethod
    def of(cls, pending: PendingInput) -> EventForm | None:
        """The form kept in `pending`; None when it is not the wizard's."""
        if pending.flow != EVENT_FLOW or "step" not in pending.data:
            return None
        answers = dict(pending.data)
        step, event_id = answers.pop("step"), answers.pop("event_id", "")
        return cls(step, answers, int(event_id) if event_id.isdigit() else None)
