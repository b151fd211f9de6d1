"""The /announce wizard's state and its questions, declared as a table (the way a
ConversationHandler declares its states): for each step, whether typed text answers it and which
buttons do. The limits of what is typed are the validator's (bot.core.announcements: check_text,
parse_button), which `ecsm-bot broadcast` uses too.

The state is typed here and kept in the conversation store as flat strings (PendingInput), so a
restart or another process continues the wizard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import Audience, PendingInput

ANNOUNCE_FLOW = "announce"
SEGMENTS = ("all", "citizen", "business")


class Step(StrEnum):
    TEXT = "text"  # the message (HTML), checked by check_text
    BUTTON = "button"  # an optional link button "Label|https://...", checked by parse_button
    AUDIENCE = "audience"  # who gets it: a segment, a language, a region or an event's people
    PREVIEW = "preview"  # as recipients will see it: send now or schedule
    WHEN = "when"  # the time to send, in DEFAULT_TIMEZONE
    CONFIRM = "confirm"  # the last word before it is queued


@dataclass(frozen=True, slots=True)
class Draft:
    """What the organiser has answered so far."""

    step: Step = Step.TEXT
    text: str = ""
    button: Button | None = None  # a link button (label and url)
    audience: Audience | None = None
    send_at: dt.datetime | None = None  # None: now

    def message(self) -> Reply:
        """The announcement as recipients will see it."""
        return Reply(self.text, buttons=((self.button,),) if self.button else ())

    def pending(self) -> PendingInput:
        data = {"step": self.step.value, "text": self.text}
        if self.button is not None and self.button.url:
            data.update(button_label=self.button.label, button_url=self.button.url)
        if self.audience is not None:
            data["segment"] = self.audience.segment
            if self.audience.language:
                data["language"] = self.audience.language
            if self.audience.region:
                data["region"] = self.audience.region
            if self.audience.event_id is not None:
                data["event_id"] = str(self.audience.event_id)
        if self.send_at is not None:
            data["send_at"] = self.send_at.isoformat()
        return PendingInput(ANNOUNCE_FLOW, data)

    @classmethod
    def of(cls, pending: PendingInput) -> Draft | None:
        """The draft kept in `pending`; None when it is not one (another flow, an old build)."""
        data = pending.data
        if pending.flow != ANNOUNCE_FLOW or data.get("step") not in set(Step):
            return None
        label, url = data.get("button_label"), data.get("button_url")
        audience = None
        if "segment" in data:
            event_id = data.get("event_id", "")
            audience = Audience(
                segment=data["segment"],
                language=data.get("language"),
                region=data.get("region"),
                event_id=int(event_id) if event_id.isdigit() else None,
            )
        send_at = dt.datetime.fromisoformat(data["send_at"]) if data.get("send_at") else None
        return cls(
            step=Step(data["step"]),
            text=data.get("text", ""),
            button=Button(label, url=url) if label and url else None,
            audience=audience,
            send_at=send_at,
        )


TextAnswer = Callable[[Turn, Draft, str], Awaitable[Outcome]]
# None: the button does not fit the draft (stale or forged).
ButtonAnswer = Callable[[Turn, Draft, tuple[str, ...]], Awaitable["Outcome | None"]]


@dataclass(frozen=True)
class Answers:
    """What answers one step: typed text, and buttons by their callback action."""

    typed: TextAnswer | None = None
    buttons: Mapping[str, ButtonAnswer] = field(default_factory=dict)


def actions_of(states: Mapping[Step, Answers]) -> frozenset[str]:
    """Every callback action a table answers: what the feature registers for the wizard."""
    return frozenset(action for answers in states.values() for action in answers.buttons)
