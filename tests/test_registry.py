"""The dialogue's routing table: one owner for every command, intent, button action and flow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.callbacks import Callback
from bot.core.messages import Incoming, Outcome, Reply, Turn
from bot.core.registry import Collision, Registration, Registry
from bot.dialogue.router import Dialogue

BOT = Path(__file__).resolve().parents[1] / "bot"
# Every way a button's callback data is written in the code: encode("xx", ...), data="xx...".
EMITTED = re.compile(r'(?:callbacks\.encode\(|(?<![.\w])encode\(|data=f?)"([a-z0-9_]+)')


async def _nothing(turn: Turn, data: Callback) -> Outcome | None:
    return None


async def _hello(turn: Turn) -> Outcome:
    return Outcome((Reply("hello"),), turn.language)


def test_two_features_claiming_one_callback_action_fail_at_start_up() -> None:
    first = Registration("tips", actions=frozenset({"sub", "set"}), callback=_nothing)
    second = Registration("settings", actions=frozenset({"set"}), callback=_nothing)
    with pytest.raises(Collision) as raised:
        Registry((first, second))
    assert raised.value.kind == "callback action"
    assert raised.value.name == "set"
    assert raised.value.features == ("tips", "settings")


@pytest.mark.parametrize("kind", ["command", "intent", "flow"])
def test_every_kind_of_name_has_one_owner(kind: str) -> None:
    def claim(feature: str) -> Registration:
        match kind:
            case "command":
                return Registration(feature, commands={"Start": _hello})
            case "intent":
                return Registration(feature, intents={"greet": lambda t, r: _hello(t)})
        return Registration(feature, flows={"link": lambda t, p, s: _hello(t)})

    with pytest.raises(Collision) as raised:
        Registry((claim("one"), claim("two")))
    assert raised.value.kind == kind


def test_a_feature_with_actions_must_say_who_handles_them() -> None:
    with pytest.raises(ValueError, match="no callback"):
        Registration("quiz", actions=frozenset({"qs"}))


def test_the_bot_s_features_build_one_table(dialogue: Dialogue) -> None:
    # Building the dialogue is start-up: a collision between its features would fail here.
    routes = dialogue.routes
    assert set(routes.features) == {
        "conversation",
        "tips",
        "checklists",
        "quiz",
        "links",
        "scamcheck",
        "privacy",
        "events",
        "organisers",
    }
    # /settings and its button belong to the conversation (which adds the region line).
    assert routes.owner("callback action", "set") == "conversation"
    assert routes.owner("command", "settings") == "conversation"


def test_every_button_the_bot_makes_has_an_owner(dialogue: Dialogue) -> None:
    emitted = {
        (path.relative_to(BOT).as_posix(), action)
        for path in BOT.rglob("*.py")
        for action in EMITTED.findall(path.read_text(encoding="utf-8"))
    }
    assert emitted, "no buttons found: the pattern no longer matches the code"
    orphans = {
        (path, action) for path, action in emitted if action not in dialogue.routes.callbacks
    }
    assert orphans == set()


async def test_the_settings_button_shows_the_region_line(dialogue: Dialogue) -> None:
    # The tips feature's own "set" arm used to be shadowed by the conversation's; the button
    # answers with the full settings, the region included.
    outcome = await dialogue.handle(Incoming(user_id=5, callback="set", platform_language="en"))
    text = outcome.replies[0].text
    assert dialogue.catalog.text("en", "settings.region_none") in text
