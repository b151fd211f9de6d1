"""What the organisers' daily figures count, by name: the metrics of the rollup table
(bot.storage.rollups fills it, bot.services.figures reads it) and how one handled message is
classed. Pure: no storage here."""

from __future__ import annotations

import bisect
import enum
from typing import Protocol

from bot.core.messages import Outcome


class Metric(enum.StrEnum):
    # Added up per day (and per region where a user is known):
    NEW_USERS = "new_users"  # key: language
    MESSAGES = "messages"  # key: a MessageKind
    EVENTS = "events"  # key: an Outcome event (quiz_started, quiz_finished, ...)
    DELIVERIES = "deliveries"  # key: the outbox status an item finished in
    CHECKLISTS = "checklists"  # key: "started:<id>" / "finished:<id>"
    NLU_MS = "nlu_ms"  # key: latency bucket ("le_<ms>" or "inf"); no region
    NLU_MS_SUM = "nlu_ms_sum"  # key "": total milliseconds; no region
    # Taken as a whole now and then (a snapshot per day, the last one of the day kept):
    USERS = "users"  # key: "language:<code>"
    SUBSCRIBERS = "subscribers"  # key: "audience:<name>" and "language:<code>"


SNAPSHOTS = frozenset({Metric.USERS, Metric.SUBSCRIBERS})
# Counted for the whole bot, with region "": a region chosen does not narrow them.
REGIONLESS = frozenset({Metric.NLU_MS, Metric.NLU_MS_SUM})


class MessageKind(enum.StrEnum):
    ANSWERED = "answered"  # free text the bot answered
    NOT_UNDERSTOOD = "not_understood"  # free text it could not place (fallback, ambiguous)
    NLU_UNAVAILABLE = "nlu_unavailable"
    COMMAND = "command"
    BUTTON = "button"
    OTHER = "other"  # typed answers to the bot's questions, anything else


# The share "answered" counts these as the messages the bot was asked to understand.
UNDERSTANDING = (MessageKind.ANSWERED, MessageKind.NOT_UNDERSTOOD, MessageKind.NLU_UNAVAILABLE)

# Upper bounds of the NLU latency buckets, in milliseconds (those of bot.metrics' histogram).
LATENCY_BUCKETS_MS = (5, 10, 20, 50, 100, 250, 500, 1000, 3000)


def latency_key(milliseconds: float) -> str:
    at = bisect.bisect_left(LATENCY_BUCKETS_MS, milliseconds)
    return f"le_{LATENCY_BUCKETS_MS[at]}" if at < len(LATENCY_BUCKETS_MS) else "inf"


def message_kind(command: bool, button: bool, text: bool, outcome: Outcome) -> MessageKind:
    if command:
        return MessageKind.COMMAND
    if button:
        return MessageKind.BUTTON
    if not text:
        return MessageKind.OTHER
    if "nlu_unavailable" in outcome.events:
        return MessageKind.NLU_UNAVAILABLE
    if "fallback" in outcome.events or "ambiguous" in outcome.events:
        return MessageKind.NOT_UNDERSTOOD
    if outcome.topic is not None:
        return MessageKind.ANSWERED
    return MessageKind.OTHER


class Activity(Protocol):
    """Where handled messages and NLU latency are counted (bot.storage.rollups.SqlActivity)."""

    def message(self, user_id: int, kind: MessageKind, outcome: Outcome) -> None: ...

    def nlu_latency(self, seconds: float) -> None: ...
