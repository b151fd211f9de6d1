"""The console channel on its own, with a hand-written dialogue: what a person types at the
terminal and what they see."""

from __future__ import annotations

import io

from bot.channels.console import Console
from bot.content.catalog import Catalog
from bot.core.messages import Button, Incoming, Outcome, Reply


class ScriptedDialogue:
    """Answers each message with the next turn of a script and records what it was given."""

    def __init__(self, *turns: tuple[Reply, ...]) -> None:
        self.turns = list(turns)
        self.received: list[Incoming] = []

    async def handle(self, incoming: Incoming) -> Outcome:
        self.received.append(incoming)
        replies = self.turns.pop(0) if self.turns else ()
        return Outcome(replies, incoming.platform_language or "en")


TWO_MESSAGES_WITH_BUTTONS = (
    Reply("First", ((Button("A", data="a"), Button("B", data="b")),)),
    Reply("Second", ((Button("C", data="c"),), (Button("D", data="d"),))),
)


async def run_console(catalog: Catalog, dialogue: ScriptedDialogue, typed: str) -> str:
    out = io.StringIO()
    await Console(dialogue, catalog, io.StringIO(typed), out, "en").run()
    return out.getvalue()


async def test_buttons_are_numbered_across_the_messages_of_a_turn(catalog: Catalog) -> None:
    dialogue = ScriptedDialogue(TWO_MESSAGES_WITH_BUTTONS)
    shown = await run_console(catalog, dialogue, "hi\n3\n")
    for number, label in enumerate("ABCD", start=1):
        assert f"[{number}] {label}" in shown
    assert shown.count("[1]") == 1
    # "3" is the first button of the second message, and nothing else.
    assert dialogue.received[1].callback == "c"


async def test_a_turn_without_buttons_keeps_the_last_ones(catalog: Catalog) -> None:
    dialogue = ScriptedDialogue(TWO_MESSAGES_WITH_BUTTONS, (Reply("No buttons here"),))
    await run_console(catalog, dialogue, "hi\nsomething\n4\n")
    assert dialogue.received[2].callback == "d"


async def test_a_new_set_of_buttons_replaces_the_old_one(catalog: Catalog) -> None:
    dialogue = ScriptedDialogue(
        TWO_MESSAGES_WITH_BUTTONS, (Reply("Only one", ((Button("E", data="e"),),)),)
    )
    await run_console(catalog, dialogue, "hi\nsomething\n1\n3\n")
    assert dialogue.received[2].callback == "e"
    # Button 3 belonged to the turn before: it is now plain text, not a stale callback.
    assert dialogue.received[3].callback is None
    assert dialogue.received[3].text == "3"
