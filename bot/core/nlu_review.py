"""The NLU's review queue (issue 18): what the bot did not understand, answered with little
confidence, or answered with an answer a user said did not help, kept scrubbed and without the
sender, for organisers to label. A label turns a message into a training example, or, for one in
five chosen by the text's hash, into a held-out test example, so the measure grows with real
messages and never trains on what it tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Literal, Protocol

# Why a message is in the queue.
Source = Literal["unplaced", "low_confidence", "not_helpful"]
SOURCES: tuple[Source, ...] = ("unplaced", "low_confidence", "not_helpful")
# What an organiser decided; None while it waits.
Decision = Literal["assigned", "new_topic", "dismissed"]
DECISIONS: tuple[Decision, ...] = ("assigned", "new_topic", "dismissed")
# An answered message waits, hidden, for a "that didn't help" tap this long, then is dropped.
TAP_WINDOW = dt.timedelta(days=1)
# One in HELD_OUT_EVERY assigned messages is a test example instead of a training one.
HELD_OUT_EVERY = 5


@dataclass(frozen=True, slots=True)
class NewItem:
    """A message for the queue, already scrubbed. `tap_key`: who may flag it (an HMAC of the
    user it was answered to)."""

    text: str
    language: str
    guess: str | None  # the topic the model guessed
    confidence: float
    source: Source | None  # None: answered, no tap yet (not in the queue)
    created_at: dt.datetime
    tap_key: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: int
    text: str
    language: str
    guess: str | None  # the topic the model guessed
    confidence: float
    source: Source | None  # None: answered, no tap yet (not in the queue)
    created_at: dt.datetime
    decision: Decision | None = None
    topic: str | None = None  # the topic assigned
    decided_by: int | None = None
    decided_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class LabelledExample:
    text: str
    language: str
    topic: str
    held_out: bool


def normal_text(text: str) -> str:
    """The text as one line, the way Rasa's YAML holds an example."""
    return re.sub(r"\s+", " ", text).strip()


def is_held_out(text: str) -> bool:
    """Deterministic: the same words always land on the same side, whoever labels them and
    however often (casefolded, spaces collapsed, so a near copy cannot cross over)."""
    key = normal_text(text).casefold().encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % HELD_OUT_EVERY == 0


def labelled(items: list[ReviewItem]) -> list[LabelledExample]:
    """The assigned messages as examples, each text once per language (the first label wins)."""
    seen: set[tuple[str, str]] = set()
    examples = []
    for item in items:
        if item.decision != "assigned" or item.topic is None:
            continue
        text = normal_text(item.text)
        key = (item.language, text.casefold())
        if not text or key in seen:
            continue
        seen.add(key)
        examples.append(LabelledExample(text, item.language, item.topic, is_held_out(text)))
    return examples


class ReviewQueue(Protocol):
    """The queue's storage, reached through the unit of work (`uow.nlu_review`)."""

    async def add(self, item: NewItem) -> int:
        """A new item; its id."""
        ...

    async def flag(self, item_id: int, source: Source, tap_key: str) -> bool:
        """Put a waiting answered message into the queue when `tap_key` is the one it was
        given (the user it was answered to), clearing the key; False otherwise."""
        ...

    async def pending(self, language: str | None, limit: int) -> list[ReviewItem]:
        """Undecided items in the queue, newest first."""
        ...

    async def get(self, ids: list[int]) -> list[ReviewItem]: ...

    async def decide(
        self,
        ids: list[int],
        decision: Decision,
        topic: str | None,
        actor: int | None,
        now: dt.datetime,
    ) -> int:
        """Record the decision on undecided items; how many it changed."""
        ...

    async def decided(self, decision: Decision) -> list[ReviewItem]:
        """Every item with this decision, oldest first."""
        ...

    async def purge(self, now: dt.datetime, retention: dt.timedelta) -> int:
        """Drop answered messages nobody flagged within TAP_WINDOW, and undecided or dismissed
        items older than `retention` (labelled ones are training data and stay); forget the
        tap keys older than TAP_WINDOW."""
        ...


class AnswerQueue(Protocol):
    """The queue's storage outside a unit of work, for the row every answered message writes
    (the chat's per-message path)."""

    async def add(self, item: NewItem) -> int:
        """As `ReviewQueue.add`: written at once, its id."""
        ...

    async def reserve(self) -> int | None:
        """An id that no other row gets, for a row written later with `add_as`; None where a
        row costs no wait to write at once (then `add`)."""
        ...

    async def add_as(self, item_id: int, item: NewItem) -> None:
        """As `add`, with the id `reserve` gave."""
        ...
