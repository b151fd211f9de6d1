"""Subscribing, settings and /tip in the core, with fakes."""

from __future__ import annotations

from bot.bootstrap import DialoguePorts
from bot.content.catalog import Catalog
from bot.core.messages import Incoming, Outcome
from bot.dialogue.router import Dialogue
from tests.auxil.dialogue import dialogue_on
from tests.fakes.core import (
    FakeNLU,
    FixedClock,
    MemoryConversations,
    MemorySubscriptions,
    parse_of,
)

USER = 7


def buttons(outcome: Outcome) -> dict[str, str]:
    """label -> callback data of every button in the outcome."""
    return {b.label: b.data or "" for r in outcome.replies for row in r.buttons for b in row}


async def test_subscribe_with_buttons_only(
    dialogue: Dialogue, catalog: Catalog, subscriptions: MemorySubscriptions
) -> None:
    outcome = await dialogue.handle(Incoming(USER, command="subscribe", platform_language="bg"))
    assert outcome.replies[0].text == catalog.strings["bg"]["sub.ask_audience"]
    data = buttons(outcome)[catalog.strings["bg"]["sub.audience.business.button"]]
    outcome = await dialogue.handle(Incoming(USER, callback=data))
    assert outcome.replies[0].text == catalog.strings["bg"]["sub.ask_time"]
    outcome = await dialogue.handle(Incoming(USER, callback=buttons(outcome)["18:00"]))
    assert "София" in outcome.replies[0].text  # Bulgarian speakers default to Sofia
    keep = buttons(outcome)[catalog.strings["bg"]["sub.zone.keep"]]
    outcome = await dialogue.handle(Incoming(USER, callback=keep))
    sub = subscriptions.rows[USER]
    assert (sub.audience, sub.send_minute, sub.timezone, sub.active) == (
        "business",
        18 * 60,
        "Europe/Sofia",
        True,
    )
    assert "18:00" in outcome.replies[0].text and "октомври" in outcome.replies[0].text
    assert "subscribed" in outcome.events


async def test_time_from_the_message_skips_the_time_step(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog, subscriptions: MemorySubscriptions
) -> None:
    nlu.table["send me tips every morning at 8"] = parse_of(
        ("subscribe_tips", 0.95), entities=(("time", "8"),)
    )
    outcome = await dialogue.handle(Incoming(USER, text="send me tips every morning at 8"))
    data = buttons(outcome)[catalog.strings["en"]["sub.audience.citizen.button"]]
    assert data == "sa:citizen:480"
    outcome = await dialogue.handle(Incoming(USER, callback=data))
    change = buttons(outcome)[catalog.strings["en"]["sub.zone.change"]]
    outcome = await dialogue.handle(Incoming(USER, callback=change))
    lisbon = next(d for label, d in buttons(outcome).items() if label.startswith("Lisbon"))
    await dialogue.handle(Incoming(USER, callback=lisbon))
    assert subscriptions.rows[USER].timezone == "Europe/Lisbon"
    assert subscriptions.rows[USER].send_minute == 480


async def test_custom_time_survives_a_restart(
    dialogue: Dialogue,
    catalog: Catalog,
    conversations: MemoryConversations,
    subscriptions: MemorySubscriptions,
    dialogue_ports: DialoguePorts,
    clock: FixedClock,
) -> None:
    await dialogue.handle(Incoming(USER, callback="so:citizen"))
    assert conversations.rows[USER].flow == "sub_time"
    # The pending question lives in storage, not in the Dialogue object: a new one continues.
    restarted = dialogue_on(catalog, dialogue_ports, dialogue.understanding.nlu, clock)
    outcome = await restarted.handle(Incoming(USER, text="7:6"))
    assert outcome.replies[0].text == catalog.strings["en"]["sub.bad_time"]
    outcome = await restarted.handle(Incoming(USER, text="07:45"))
    keep = buttons(outcome)[catalog.strings["en"]["sub.zone.keep"]]
    # DEFAULT_TIMEZONE is proposed, whatever the language: English is spoken in Sofia too.
    assert keep == f"sz:citizen:465:{catalog.timezones.index('Europe/Sofia')}"
    await restarted.handle(Incoming(USER, callback=keep))
    assert subscriptions.rows[USER].send_minute == 465
    assert USER not in conversations.rows


async def test_a_question_instead_of_a_time_ends_the_wait(
    dialogue: Dialogue, nlu: FakeNLU, conversations: MemoryConversations
) -> None:
    await dialogue.handle(Incoming(USER, callback="so:citizen"))
    nlu.table["what is phishing"] = parse_of(("phishing", 0.9))
    outcome = await dialogue.handle(Incoming(USER, text="what is phishing"))
    assert outcome.topic == "phishing"
    assert USER not in conversations.rows


async def test_settings_and_unsubscribe(
    dialogue: Dialogue, catalog: Catalog, subscriptions: MemorySubscriptions
) -> None:
    outcome = await dialogue.handle(Incoming(USER, command="settings"))
    assert "off" in outcome.replies[0].text
    await dialogue.handle(Incoming(USER, callback="sz:business:720:0"))
    outcome = await dialogue.handle(Incoming(USER, command="settings"))
    assert "12:00" in outcome.replies[0].text and "Sofia" in outcome.replies[0].text
    # Every settings button leads somewhere valid.
    for data in buttons(outcome).values():
        reply = await dialogue.handle(Incoming(USER, callback=data))
        assert reply.replies[0].text != catalog.strings["en"]["error.stale_button"], data
    assert not subscriptions.rows[USER].active  # the last button was "stop"
    outcome = await dialogue.handle(Incoming(USER, command="unsubscribe"))
    assert outcome.replies[0].text == catalog.strings["en"]["sub.not_subscribed"]


async def test_tip_any_day_of_the_year(
    dialogue: Dialogue, catalog: Catalog, clock: FixedClock
) -> None:
    outcome = await dialogue.handle(Incoming(USER, command="tip"))
    assert catalog.tips["en"]["citizen"][4].text[:30] in outcome.replies[0].text  # 5 October
    clock.current = clock.current.replace(month=2, day=14)
    outcome = await dialogue.handle(Incoming(USER, command="tip"))
    assert catalog.tips["en"]["citizen"][13].text[:30] in outcome.replies[0].text
    assert "14 February" in outcome.replies[0].text


async def test_forged_subscription_buttons(dialogue: Dialogue, catalog: Catalog) -> None:
    stale = catalog.strings["en"]["error.stale_button"]
    for data in [
        "sa:admin:480",
        "st:citizen:1440",
        "st:citizen:99999999",
        "sz:citizen:480:999",
        "sz:citizen:480",
        "so:",
        "szl:business:abc",
        "sub:-1",
        "uo:1",
    ]:
        outcome = await dialogue.handle(Incoming(USER, callback=data))
        assert outcome.replies[0].text == stale, data
