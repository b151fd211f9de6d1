"""The bot's decision on the NLU's ranking (bot.core.understanding.interpret): the out_of_scope
refusal margin (issue 19) and that the older rules keep their meaning when it is off."""

from __future__ import annotations

import pytest

from bot.core.ports import IntentScore, Parse
from bot.core.understanding import OUT_OF_SCOPE, Thresholds, interpret
from bot.settings import Settings


def ranking(*pairs: tuple[str, float]) -> Parse:
    return Parse(tuple(IntentScore(name, confidence) for name, confidence in pairs))


OFF = Thresholds(0.30, 0.05)
ON = Thresholds(0.30, 0.05, refusal_margin=0.10)


def test_a_topic_just_ahead_of_out_of_scope_is_refused() -> None:
    parse = ranking(("passwords", 0.45), (OUT_OF_SCOPE, 0.40), ("password_manager", 0.05))
    reading = interpret(parse, ON)
    assert reading.topic == OUT_OF_SCOPE
    # The NLU's guess stays known for the review queue.
    assert reading.best_guess == "passwords"
    assert reading.confidence == 0.45
    assert interpret(parse, OFF).topic == "passwords"


def test_a_clear_lead_over_out_of_scope_is_answered() -> None:
    parse = ranking(("passwords", 0.55), (OUT_OF_SCOPE, 0.40))
    assert interpret(parse, ON).topic == "passwords"


def test_a_lead_of_exactly_the_margin_is_enough() -> None:
    # Binary fractions: 0.5 - 0.25 is exact.
    parse = ranking(("vishing", 0.5), (OUT_OF_SCOPE, 0.25))
    assert interpret(parse, Thresholds(0.30, 0.05, refusal_margin=0.25)).topic == "vishing"
    assert interpret(parse, Thresholds(0.30, 0.05, refusal_margin=0.26)).topic == OUT_OF_SCOPE


def test_out_of_scope_further_down_the_ranking_counts_when_it_is_close() -> None:
    parse = ranking(("deepfake", 0.40), ("vishing", 0.34), (OUT_OF_SCOPE, 0.33))
    assert interpret(parse, ON).topic == OUT_OF_SCOPE


def test_without_out_of_scope_in_the_ranking_the_older_rules_decide() -> None:
    parse = ranking(("deepfake", 0.40), ("vishing", 0.38))
    reading = interpret(parse, ON)
    assert reading.topic == "deepfake"
    assert reading.alternatives == ("deepfake", "vishing")


def test_the_refusal_comes_before_offering_two_topics() -> None:
    parse = ranking(("deepfake", 0.36), ("vishing", 0.33), (OUT_OF_SCOPE, 0.30))
    assert interpret(parse, OFF).alternatives == ("deepfake", "vishing")
    assert interpret(parse, ON).topic == OUT_OF_SCOPE
    assert interpret(parse, ON).alternatives == ()


def test_out_of_scope_on_top_is_out_of_scope_whatever_the_margin() -> None:
    parse = ranking((OUT_OF_SCOPE, 0.50), ("weather", 0.45))
    assert interpret(parse, ON).topic == OUT_OF_SCOPE
    assert interpret(parse, OFF).topic == OUT_OF_SCOPE


def test_a_retrieval_intents_out_of_scope_key_counts() -> None:
    parse = ranking(("faq/phishing", 0.45), ("faq/out_of_scope", 0.40))
    assert interpret(parse, ON).topic == OUT_OF_SCOPE


@pytest.mark.parametrize("margin", [0.0, 0.1])
def test_the_confidence_threshold_still_applies(margin: float) -> None:
    parse = ranking(("malware", 0.25), ("ransomware", 0.10), (OUT_OF_SCOPE, 0.05))
    reading = interpret(parse, Thresholds(0.30, 0.05, refusal_margin=margin))
    assert reading.topic == OUT_OF_SCOPE
    assert reading.best_guess == "malware"


def test_the_setting_reaches_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.bootstrap import thresholds

    monkeypatch.setenv("NLU_REFUSAL_MARGIN", "0.125")
    assert thresholds(Settings(_env_file=None)).refusal_margin == 0.125
