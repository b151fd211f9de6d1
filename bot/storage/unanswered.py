"""Unanswered messages: recorded without the sender, scrubbed of contact details, purged after
the retention period, exported as draft Rasa training data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import delete, select

from bot.core.unanswered import scrub
from bot.storage.db import Store, reading, writing
from bot.storage.schema import UnansweredMessage

__all__ = ["SqlUnanswered", "scrub"]


class SqlUnanswered:
    def __init__(self, sessions: Store, retention: dt.timedelta) -> None:
        self._sessions = sessions
        self.retention = retention

    async def record(
        self,
        text: str,
        language: str,
        best_guess: str | None,
        confidence: float,
        now: dt.datetime,
    ) -> None:
        async with writing(self._sessions) as session:
            session.add(
                UnansweredMessage(
                    text=scrub(text),
                    language=language,
                    best_guess=best_guess,
                    confidence=confidence,
                    created_at=now,
                )
            )

    async def purge(self, now: dt.datetime) -> int:
        async with writing(self._sessions) as session:
            result = await session.execute(
                delete(UnansweredMessage).where(UnansweredMessage.created_at < now - self.retention)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def export(self) -> str:
        """Rasa 3.1 NLU YAML, grouped under the NLU's best guess, for a person to review."""
        async with reading(self._sessions) as session:
            rows = (
                (
                    await session.execute(
                        select(UnansweredMessage).order_by(
                            UnansweredMessage.best_guess, UnansweredMessage.created_at
                        )
                    )
                )
                .scalars()
                .all()
            )
        groups: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            groups[row.best_guess or "out_of_scope"].append(row.text)
        lines = [
            "# DRAFT training data from messages the bot could not place (no sender kept).",
            "# Each block is the NLU's best guess: move every example to its right intent, or",
            "# delete it, before adding it to nlu/data/.",
            'version: "3.1"',
            "nlu:",
        ]
        for intent, texts in sorted(groups.items()):
            lines += [f"- intent: {intent}", "  examples: |"]
            # One example per line, as Rasa reads them; duplicates once.
            lines += [f"    - {' '.join(text.split())}" for text in dict.fromkeys(texts)]
        return "\n".join(lines) + "\n"
