"""The queue of messages the bot did not understand, for organisers (the dashboard's
/unanswered): the latest ones, grouped by similarity (rapidfuzz) with their counts, so that the
question asked a hundred times shows once, on top. The messages were scrubbed when stored and
carry no sender (bot.services.unanswered)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from rapidfuzz import fuzz, process

# Two messages are one question from this similarity (0-100, token set ratio) on.
SIMILAR = 80
LATEST = 2000
EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class StoredMessage:
    text: str
    language: str
    best_guess: str | None
    at: dt.datetime


class RecentUnanswered(Protocol):
    async def recent(self, limit: int, language: str | None) -> list[StoredMessage]:
        """The latest messages, newest first (of one language, or all)."""
        ...


@dataclass
class Group:
    example: str  # the newest message of the group
    language: str
    count: int = 0
    last: dt.datetime | None = None
    others: list[str] = field(default_factory=list)
    guesses: Counter[str] = field(default_factory=Counter)

    @property
    def best_guess(self) -> str | None:
        return self.guesses.most_common(1)[0][0] if self.guesses else None


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()


def group(messages: list[StoredMessage], similar: int = SIMILAR) -> list[Group]:
    """Newest first in, most asked first out (then the most recent)."""
    groups: list[Group] = []
    keys: list[str] = []
    for message in messages:
        key = _normal(message.text)
        found = process.extractOne(key, keys, scorer=fuzz.token_set_ratio, score_cutoff=similar)
        if found is None:
            groups.append(Group(message.text, message.language, last=message.at))
            keys.append(key)
            chosen = groups[-1]
        else:
            chosen = groups[found[2]]
            fresh = message.text != chosen.example and message.text not in chosen.others
            if fresh and len(chosen.others) < EXAMPLES:
                chosen.others.append(message.text)
        chosen.count += 1
        if message.best_guess:
            chosen.guesses[message.best_guess] += 1
    return sorted(groups, key=lambda g: (-g.count, -(g.last.timestamp() if g.last else 0)))


class UnansweredGroups:
    def __init__(self, queue: RecentUnanswered, latest: int = LATEST) -> None:
        self.queue = queue
        self.latest = latest

    async def groups(self, language: str | None) -> tuple[list[Group], int]:
        """The groups of the latest messages, and how many messages they hold."""
        messages = await self.queue.recent(self.latest, language)
        return group(messages), len(messages)
