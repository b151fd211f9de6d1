"""The core with hand-written fakes: no Telegram, database, HTTP or real clock."""

from __future__ import annotations

from bot.content.catalog import Catalog
from bot.core import callbacks
from bot.core.messages import Incoming, Reply
from bot.dialogue.router import Dialogue
from tests.fakes.core import FakeNLU, MemoryUsers, parse_of

USER = 42


def callback_data(replies: tuple[Reply, ...]) -> list[str]:
    return [b.data for r in replies for row in r.buttons for b in row if b.data]


async def test_start_picks_language_from_telegram_and_stores_user(
    dialogue: Dialogue, users: MemoryUsers, catalog: Catalog
) -> None:
    outcome = await dialogue.handle(Incoming(USER, command="start", platform_language="bg"))
    assert outcome.language == "bg"
    assert users.rows[USER].language == "bg"
    assert outcome.replies[0].text.startswith(catalog.strings["bg"]["start.greeting"][:20])
    # A button to switch to the other language, and the topic menu.
    assert "l:en" in callback_data(outcome.replies)
    assert "m:threat" in callback_data(outcome.replies)


async def test_unknown_platform_language_falls_back_to_default(
    dialogue: Dialogue, users: MemoryUsers
) -> None:
    outcome = await dialogue.handle(Incoming(USER, command="start", platform_language="pt-BR"))
    assert outcome.language == "en"
    assert users.rows[USER].language == "en"


async def test_english_question_gets_the_english_answer(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog
) -> None:
    nlu.table["what is phishing"] = parse_of(("phishing", 0.93), ("smishing", 0.03))
    outcome = await dialogue.handle(Incoming(USER, text="what is phishing"))
    answer = catalog.answer("en", "phishing")
    assert answer is not None
    assert outcome.topic == "phishing"
    assert answer.summary[:40] in outcome.replies[0].text
    data = callback_data(outcome.replies)
    assert "s:phishing:0" in data and "src:phishing" in data


async def test_reply_language_follows_a_cyrillic_message(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog
) -> None:
    await dialogue.handle(Incoming(USER, command="start", platform_language="en"))
    nlu.table["какво е фишинг"] = parse_of(("phishing", 0.9))
    outcome = await dialogue.handle(Incoming(USER, text="какво е фишинг"))
    answer = catalog.answer("bg", "phishing")
    assert answer is not None
    assert outcome.language == "bg"
    assert answer.summary[:40] in outcome.replies[0].text


async def test_low_confidence_gives_fallback_with_menu(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog
) -> None:
    nlu.table["blorp"] = parse_of(("phishing", 0.2), ("passwords", 0.05))
    outcome = await dialogue.handle(Incoming(USER, text="blorp"))
    assert outcome.replies[0].text == catalog.strings["en"]["nlu.fallback"]
    assert "m:threat" in callback_data(outcome.replies)


async def test_two_close_topics_are_offered_as_buttons(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog
) -> None:
    nlu.table["weird message"] = parse_of(("phishing", 0.44), ("passwords", 0.40))
    outcome = await dialogue.handle(Incoming(USER, text="weird message"))
    assert outcome.replies[0].text == catalog.strings["en"]["nlu.did_you_mean"]
    assert callback_data(outcome.replies) == ["t:phishing", "t:passwords"]


async def test_nlu_down_gives_menu_not_an_error(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog
) -> None:
    nlu.down = True
    outcome = await dialogue.handle(Incoming(USER, text="what is phishing"))
    assert outcome.replies[0].text == catalog.strings["en"]["nlu.unavailable"]
    assert "m:threat" in callback_data(outcome.replies)
    nlu.down = False
    nlu.table["what is phishing"] = parse_of(("phishing", 0.9))
    assert (await dialogue.handle(Incoming(USER, text="what is phishing"))).topic == "phishing"


async def test_small_talk(dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog) -> None:
    nlu.table["hello"] = parse_of(("greet", 0.99))
    outcome = await dialogue.handle(Incoming(USER, text="hello"))
    assert outcome.replies[0].text == catalog.strings["en"]["reply.greet"]


async def test_language_button_changes_language(
    dialogue: Dialogue, users: MemoryUsers, catalog: Catalog
) -> None:
    await dialogue.handle(Incoming(USER, command="start", platform_language="en"))
    outcome = await dialogue.handle(Incoming(USER, callback="l:bg"))
    assert users.rows[USER].language == "bg"
    assert outcome.language == "bg"
    assert "Български" in outcome.replies[0].text


async def test_change_language_intent_uses_entity(
    dialogue: Dialogue, nlu: FakeNLU, users: MemoryUsers
) -> None:
    nlu.table["switch to bulgarian"] = parse_of(
        ("change_language", 0.9), entities=(("language", "bg"),)
    )
    outcome = await dialogue.handle(Incoming(USER, text="switch to bulgarian"))
    assert outcome.language == "bg" and users.rows[USER].language == "bg"


async def test_forged_and_stale_buttons_get_a_plain_reply(
    dialogue: Dialogue, catalog: Catalog
) -> None:
    for data in [
        "",
        "x" * 200,
        "t:no_such_topic",
        "s:phishing:99",
        "s:phishing:-1",
        "l:xx",
        "m:nope",
        "t:phishing:extra",
        "t:PHISHING",
        "💥",
        "s:phishing:1e3",
    ]:
        outcome = await dialogue.handle(Incoming(USER, callback=data))
        assert outcome.replies == (Reply(catalog.strings["en"]["error.stale_button"]),), data


async def test_unknown_command_and_non_text(dialogue: Dialogue, catalog: Catalog) -> None:
    outcome = await dialogue.handle(Incoming(USER, command="frobnicate"))
    assert outcome.replies[0].text == catalog.strings["en"]["error.unknown_command"]
    outcome = await dialogue.handle(Incoming(USER))
    assert outcome.replies[0].text == catalog.strings["en"]["error.unsupported_message"]


async def test_oversized_text_is_refused_without_calling_nlu(
    dialogue: Dialogue, nlu: FakeNLU
) -> None:
    outcome = await dialogue.handle(Incoming(USER, text="a" * 5000))
    assert "4,096 characters" in outcome.replies[0].text
    assert nlu.seen == []


async def test_every_section_and_sources_button_works(dialogue: Dialogue, catalog: Catalog) -> None:
    answer = catalog.answer("en", "phishing")
    assert answer is not None
    for index in range(len(answer.sections)):
        outcome = await dialogue.handle(Incoming(USER, callback=f"s:phishing:{index}"))
        assert answer.sections[index].text[:30] in outcome.replies[0].text
    outcome = await dialogue.handle(Incoming(USER, callback="src:phishing"))
    assert str(answer.sources[0].url) in outcome.replies[0].text


async def test_every_button_the_core_makes_is_valid_callback_data(
    dialogue: Dialogue, catalog: Catalog
) -> None:
    pending = ["m"]
    seen: set[str] = set()
    while pending:
        data = pending.pop()
        if data in seen:
            continue
        seen.add(data)
        outcome = await dialogue.handle(Incoming(USER, callback=data))
        for found in callback_data(outcome.replies):
            assert len(found.encode()) <= callbacks.MAX_BYTES
            assert callbacks.decode(found) is not None
            if not found.startswith("l:"):
                pending.append(found)
    # Every answered topic is reachable from the menu.
    assert {f"t:{t}" for lang in catalog.answers for t in catalog.answers[lang]} <= seen
