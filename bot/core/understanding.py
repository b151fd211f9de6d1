"""Turns the NLU's ranking into a decision: one topic, a choice between two, or "not sure"."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.ports import Entity, Parse

OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Below `confidence` the message is out of scope; two topics whose confidences are within
    `margin` of each other are offered both; a topic within `refusal_margin` of out_of_scope
    is refused."""

    confidence: float
    margin: float
    # A topic whose lead over out_of_scope is below this is refused too (0: off). Near misses
    # share our words, so the classifier often ranks a topic first with out_of_scope just
    # behind it; a real question rarely has out_of_scope that close (docs/nlu.md, third pass).
    refusal_margin: float = 0.0


@dataclass(frozen=True, slots=True)
class Reading:
    topic: str  # a taxonomy key, OUT_OF_SCOPE when unsure
    confidence: float
    alternatives: tuple[str, ...] = ()  # set when two topics are too close to choose
    entities: tuple[Entity, ...] = ()
    best_guess: str | None = None  # the NLU's top topic, also when it was not confident


def topic_of(intent: str) -> str:
    """`faq/phishing` (a retrieval intent's response key) and `phishing` are the same topic."""
    return intent.rsplit("/", 1)[-1]


def interpret(parse: Parse, thresholds: Thresholds) -> Reading:
    if not parse.ranking:
        return Reading(OUT_OF_SCOPE, 0.0, entities=parse.entities)
    best = parse.ranking[0]
    topic, confidence = topic_of(best.name), best.confidence
    runner_up = next(
        (s for s in parse.ranking[1:] if topic_of(s.name) not in (topic, OUT_OF_SCOPE)), None
    )
    if topic != OUT_OF_SCOPE and thresholds.refusal_margin > 0:
        refusal = next((s for s in parse.ranking[1:] if topic_of(s.name) == OUT_OF_SCOPE), None)
        if refusal is not None and confidence - refusal.confidence < thresholds.refusal_margin:
            return Reading(OUT_OF_SCOPE, confidence, entities=parse.entities, best_guess=topic)
    if topic != OUT_OF_SCOPE and runner_up is not None:
        close = confidence - runner_up.confidence < thresholds.margin
        # Two close topics that together carry the message are a real doubt, not noise.
        if close and confidence + runner_up.confidence >= thresholds.confidence:
            return Reading(
                topic,
                confidence,
                alternatives=(topic, topic_of(runner_up.name)),
                entities=parse.entities,
            )
    if confidence < thresholds.confidence:
        return Reading(OUT_OF_SCOPE, confidence, entities=parse.entities, best_guess=topic)
    return Reading(topic, confidence, entities=parse.entities, best_guess=topic)
