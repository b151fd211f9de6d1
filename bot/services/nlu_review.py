"""The NLU's review queue as a use case (issue 18), for every entrypoint: the chat records what
it did not understand or answered with little confidence, and a user's "that didn't help" tap;
organisers (dashboard, `ecsm-bot nlu review`) see it grouped by similarity, most frequent first,
per language, and decide for a message or a whole group: assign a topic, mark it as needing a
new topic, or dismiss it. Every decision is one transaction with its audit entry."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.core.domain_events import Origin
from bot.core.nlu_review import (
    AnswerQueue,
    Decision,
    LabelledExample,
    NewItem,
    ReviewItem,
    Source,
    labelled,
    normal_text,
)
from bot.core.roles import check
from bot.core.unanswered import scrub
from bot.core.understanding import Reading
from bot.core.unit_of_work import UnitsOfWork

# Two messages are one question from this similarity on (0-100, token set ratio).
SIMILAR = 80
LATEST = 2000


class UnknownTopic(ValueError):
    """The topic is not an intent of the taxonomy (a refusal the entrypoint words)."""


@dataclass
class ReviewGroup:
    """Similar messages of one language: the newest first."""

    language: str
    items: list[ReviewItem] = field(default_factory=list)
    guesses: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)

    @property
    def example(self) -> ReviewItem:
        return self.items[0]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def ids(self) -> list[int]:
        return [item.id for item in self.items]

    @property
    def guess(self) -> str | None:
        return self.guesses.most_common(1)[0][0] if self.guesses else None

    @property
    def confidence(self) -> float:
        """The model's mean confidence over the group."""
        return sum(item.confidence for item in self.items) / len(self.items)


def group_items(items: list[ReviewItem], similar: int = SIMILAR) -> list[ReviewGroup]:
    """Newest first in; groups per language by similarity, most frequent first out."""
    groups: list[ReviewGroup] = []
    keys: dict[str, list[str]] = {}
    indexes: dict[str, list[int]] = {}
    for item in items:
        key = normal_text(item.text).casefold()
        same_language = keys.setdefault(item.language, [])
        found = process.extractOne(
            key, same_language, scorer=fuzz.token_set_ratio, score_cutoff=similar
        )
        if found is None:
            groups.append(ReviewGroup(item.language))
            same_language.append(key)
            indexes.setdefault(item.language, []).append(len(groups) - 1)
            chosen = groups[-1]
        else:
            chosen = groups[indexes[item.language][found[2]]]
        chosen.items.append(item)
        if item.guess:
            chosen.guesses[item.guess] += 1
        if item.source:
            chosen.sources[item.source] += 1
    return sorted(groups, key=lambda g: (-g.count, -g.example.created_at.timestamp()))


class LaterRow:
    """A row written once, by whoever asks first (the channel once the reply is handed over,
    or a tap on the reply's button); a second caller waits for the first one's write."""

    def __init__(self, write: Callable[[], Awaitable[None]], written: Callable[[], object]):
        self._write = write
        self._written = written
        self._done: asyncio.Event | None = None

    async def __call__(self) -> None:
        if self._done is not None:
            await self._done.wait()
            return
        self._done = asyncio.Event()
        try:
            await self._write()
        finally:
            self._done.set()
            self._written()


class NluReviewService:
    def __init__(
        self,
        units: UnitsOfWork,
        topics: Collection[str],
        low_confidence: float,
        retention: dt.timedelta,
        tap_secret: bytes | None = None,
        answers: AnswerQueue | None = None,
    ) -> None:
        self.units = units
        # Where each answer's row goes when it is written alone (the chat's per-message path:
        # one statement, no unit of work around it); None: through a unit of work.
        self.answers = answers
        self.topics = frozenset(topics)
        self.low_confidence = low_confidence
        self.retention = retention
        # Keys the "that didn't help" taps to the user answered, without keeping who it was.
        # Every process serving the bot must share it (bootstrap derives it from the bot's
        # token); a random one serves this process alone.
        self._tap_secret = tap_secret or secrets.token_bytes(32)
        # Rows whose id is on a button already, not yet written (`answered_later`).
        self._unwritten: dict[int, LaterRow] = {}

    def _tap_key(self, user_id: int) -> str:
        return hmac.new(self._tap_secret, str(user_id).encode(), hashlib.sha256).hexdigest()

    # --- the chat --------------------------------------------------------------------------

    async def answered(
        self, text: str, language: str, reading: Reading, now: dt.datetime, user_id: int
    ) -> int:
        """An answer given to `user_id`'s typed message: queued at once when the model was
        unsure, else kept hidden for a day in case the user taps "that didn't help". The id
        goes on the button; the row keeps a keyed hash of the user for that day, not the id."""
        item, write = await self.answered_later(text, language, reading, now, user_id)
        if write is not None:
            await write()
        return item

    async def answered_later(
        self, text: str, language: str, reading: Reading, now: dt.datetime, user_id: int
    ) -> tuple[int, LaterRow | None]:
        """As `answered`, but where the database hands out ids ahead (PostgreSQL: a round trip
        saved on the reply's path) the row is not written yet: the id, and the write to run
        once the reply is on its way (None: written already). A "that didn't help" tap that
        reaches this process first writes it itself."""
        unsure = reading.confidence < self.low_confidence
        source: Source | None = "low_confidence" if unsure else None
        row = NewItem(
            scrub(text),
            language,
            reading.topic,
            reading.confidence,
            source,
            now,
            self._tap_key(user_id),
        )
        answers = self.answers
        if answers is None:
            async with self.units() as uow:
                item = await uow.nlu_review.add(row)
                await uow.commit()
            return item, None
        reserved = await answers.reserve()
        if reserved is None:
            # One row, one statement: atomic by itself.
            return await answers.add(row), None
        item = reserved

        async def write() -> None:
            await answers.add_as(item, row)

        later = self._unwritten[item] = LaterRow(write, lambda: self._unwritten.pop(item, None))
        return item, later

    async def not_helpful(self, item_id: int, user_id: int) -> bool:
        """`user_id` says the answer to their message `item_id` did not help; False when that
        answer was not theirs (a forged button), is decided on, or is too old."""
        unwritten = self._unwritten.get(item_id)
        if unwritten is not None:
            # The tap came before the answer's row was written (its reply is still being sent).
            await unwritten()
        async with self.units() as uow:
            flagged = await uow.nlu_review.flag(item_id, "not_helpful", self._tap_key(user_id))
            await uow.commit()
        return flagged

    # --- organisers ------------------------------------------------------------------------

    async def queue(self, language: str | None, latest: int = LATEST) -> list[ReviewGroup]:
        async with self.units() as uow:
            items = await uow.nlu_review.pending(language, latest)
        return group_items(items)

    async def decide(
        self,
        ids: list[int],
        decision: Decision,
        topic: str | None,
        origin: Origin,
        now: dt.datetime,
    ) -> int:
        """Decide on messages (one, or a group's); how many were still undecided."""
        if origin.staff is not None:
            check(origin.staff, "nlu.review")
        if decision == "assigned":
            if topic not in self.topics:
                raise UnknownTopic(topic)
        else:
            topic = None
        async with self.units() as uow:
            changed = await uow.nlu_review.decide(ids, decision, topic, origin.actor, now)
            if changed:
                details = {**origin.details, "decision": decision, "count": changed}
                if topic:
                    details["topic"] = topic
                await uow.audit.record(origin.actor, "nlu_review", details, now)
            await uow.commit()
        return changed

    async def new_topics(self) -> list[ReviewItem]:
        """The messages marked as needing a new topic, for the content team."""
        async with self.units() as uow:
            return await uow.nlu_review.decided("new_topic")

    async def examples(self) -> list[LabelledExample]:
        """Every assigned message as a training or held-out example."""
        async with self.units() as uow:
            return labelled(await uow.nlu_review.decided("assigned"))

    async def purge(self, now: dt.datetime) -> int:
        async with self.units() as uow:
            dropped = await uow.nlu_review.purge(now, self.retention)
            await uow.commit()
        return dropped
