"""Checklists, the quiz, the link checker and the user's data, in the core with fakes."""

from __future__ import annotations

import datetime as dt
import json

from bot.bootstrap import DialoguePorts
from bot.content.catalog import Catalog
from bot.core.flood import FloodGate, FloodLimit
from bot.core.messages import Incoming, Outcome
from bot.dialogue.router import Dialogue
from bot.features.checklists import score_of
from bot.features.quiz import ROUND
from tests.auxil.dialogue import dialogue_on
from tests.auxil.environment import ORGANISER_ID
from tests.fakes.core import (
    FakeNLU,
    FakeRenderer,
    FixedClock,
    MemoryChecklistRuns,
    MemoryConversations,
    MemorySubscriptions,
    MemoryUsers,
    parse_of,
)

USER = 11


def buttons(outcome: Outcome) -> dict[str, str]:
    return {b.label: b.data or "" for r in outcome.replies for row in r.buttons for b in row}


def datas(outcome: Outcome) -> list[str]:
    return [b.data or "" for r in outcome.replies for row in r.buttons for b in row]


def answer_button(outcome: Outcome, code: str) -> str:
    return next(d for d in datas(outcome) if d.startswith("cka:") and d.endswith(f":{code}"))


# --- checklists -------------------------------------------------------------------------------


async def test_every_checklist_has_items_sources_and_matching_languages(catalog: Catalog) -> None:
    assert len(catalog.checklists["en"]) >= 3
    essentials = catalog.checklists["en"]["essentials"]
    assert len(essentials.items) >= 12
    assert catalog.checklists["en"]["nis2"].scope is not None
    for lang in catalog.languages:
        for checklist in catalog.checklists[lang].values():
            assert all(item.sources for item in checklist.items)


async def test_checklist_from_start_to_score_with_next_steps_and_pdf(
    dialogue: Dialogue, catalog: Catalog, renderer: FakeRenderer
) -> None:
    strings = catalog.strings["en"]
    outcome = await dialogue.handle(Incoming(USER, command="checklist"))
    assert outcome.replies[0].text == strings["checklist.choose"]
    essentials = catalog.checklists["en"]["essentials"]
    outcome = await dialogue.handle(Incoming(USER, callback=buttons(outcome)[essentials.button]))
    assert essentials.intro[:40] in outcome.replies[0].text
    outcome = await dialogue.handle(Incoming(USER, callback="cks:essentials"))
    # Answer: the first three not yet, the rest done.
    for index, item in enumerate(essentials.items):
        assert item.title[:30] in outcome.replies[0].text
        assert f"{index + 1}/{len(essentials.items)}" in outcome.replies[0].text
        code = "n" if index < 3 else "d"
        outcome = await dialogue.handle(Incoming(USER, callback=answer_button(outcome, code)))
    text = outcome.replies[0].text
    answers = {item.key: "not_yet" if i < 3 else "done" for i, item in enumerate(essentials.items)}
    score = score_of(essentials, answers)
    assert f"{score}%" in text
    assert essentials.band(score).label in text
    # The next steps are the three undone items, most important first.
    undone = sorted(essentials.items[:3], key=lambda item: -item.weight)
    for item in undone:
        assert item.title in text
    assert "checklist_finished" in outcome.events

    pdf = buttons(outcome)[strings["checklist.pdf"]]
    outcome = await dialogue.handle(Incoming(USER, callback=pdf))
    document = outcome.replies[0].document
    assert document is not None and document.mime_type == "application/pdf"
    assert document.filename.startswith("essentials-")
    report = renderer.reports[-1]
    assert report.score_line.endswith(f"{score}%")
    assert [step.title for step in report.steps] == [item.title for item in undone]
    assert len(report.items) == len(essentials.items)


async def test_second_attempt_is_compared_with_the_first(
    dialogue: Dialogue, catalog: Catalog, clock: FixedClock
) -> None:
    remote = catalog.checklists["en"]["remote_work"]
    for code in ("n", "d"):
        outcome = await dialogue.handle(Incoming(USER, callback="cks:remote_work"))
        for _ in remote.items:
            outcome = await dialogue.handle(Incoming(USER, callback=answer_button(outcome, code)))
        clock.advance(days=20)
    text = outcome.replies[0].text
    assert "100%" in text
    assert "0%" in text  # the previous score is named
    assert "+100" in text


async def test_checklist_resumes_after_a_restart(
    dialogue: Dialogue,
    catalog: Catalog,
    dialogue_ports: DialoguePorts,
) -> None:
    essentials = catalog.checklists["bg"]["essentials"]
    outcome = await dialogue.handle(
        Incoming(USER, callback="cks:essentials", platform_language="bg")
    )
    for _ in range(4):
        outcome = await dialogue.handle(Incoming(USER, callback=answer_button(outcome, "d")))
    # Progress is in storage: a new Dialogue (a restarted process) continues at question 5.
    restarted = dialogue_on(catalog, dialogue_ports, dialogue.understanding.nlu, dialogue.clock)
    outcome = await restarted.handle(Incoming(USER, command="checklist"))
    label = catalog.strings["bg"]["checklist.continue_button"].format(name=essentials.button)
    outcome = await restarted.handle(Incoming(USER, callback=buttons(outcome)[label]))
    assert essentials.items[4].title[:30] in outcome.replies[0].text
    assert f"5/{len(essentials.items)}" in outcome.replies[0].text


async def test_nis2_asks_scope_first_and_gives_a_verdict(
    dialogue: Dialogue, catalog: Catalog
) -> None:
    nis2 = catalog.checklists["en"]["nis2"]
    assert nis2.scope is not None
    outcome = await dialogue.handle(Incoming(USER, callback="cks:nis2"))
    assert nis2.scope.questions[0].text[:30] in outcome.replies[0].text
    for _ in nis2.scope.questions:
        outcome = await dialogue.handle(Incoming(USER, callback=answer_button(outcome, "y")))
    for _ in nis2.items:
        outcome = await dialogue.handle(Incoming(USER, callback=answer_button(outcome, "x")))
    answers = {"special": "yes", "sector": "yes", "size": "yes"}
    verdict = next(v for v in nis2.scope.verdicts if v.matches(answers))
    assert verdict.text[:40] in outcome.replies[0].text


async def test_forged_and_stale_checklist_buttons_change_nothing(
    dialogue: Dialogue, catalog: Catalog, checklist_runs: MemoryChecklistRuns
) -> None:
    stale = catalog.strings["en"]["error.stale_button"]
    outcome = await dialogue.handle(Incoming(USER, callback="cks:essentials"))
    run_id = checklist_runs.rows[1].run_id
    first_key = catalog.checklists["en"]["essentials"].items[0].key
    forged = [
        f"cka:{run_id}:{first_key}:z",  # unknown answer
        f"cka:{run_id}:nosuchitem:d",  # unknown item
        f"cka:{run_id + 50}:{first_key}:d",  # no such run
        "cks:nosuchlist",
        "ckp:1",  # a report of an unfinished run
        f"cka:{run_id}:{first_key}",  # missing part
    ]
    for data in forged:
        outcome = await dialogue.handle(Incoming(USER, callback=data))
        assert outcome.replies[0].text == stale, data
    # Another user pressing this user's button (a forged run id) is refused too.
    outcome = await dialogue.handle(Incoming(USER + 1, callback=f"cka:{run_id}:{first_key}:d"))
    assert outcome.replies[0].text == stale
    assert checklist_runs.rows[run_id].answers == {}


async def test_checklist_from_the_nlu_topic(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog
) -> None:
    nlu.table["is my shop secure enough"] = parse_of(("sme_checklist", 0.9))
    outcome = await dialogue.handle(Incoming(USER, text="is my shop secure enough"))
    assert outcome.replies[0].text == catalog.strings["en"]["checklist.choose"]


# --- the quiz -------------------------------------------------------------------------------


async def test_quiz_round_explains_each_answer_and_scores(
    dialogue: Dialogue, catalog: Catalog
) -> None:
    questions = {q.question: q for q in catalog.quiz["en"]}
    assert len(questions) >= 20
    outcome = await dialogue.handle(Incoming(USER, command="quiz"))
    seen: list[str] = []
    right = 0
    for position in range(ROUND):
        text = outcome.replies[-1].text
        question = next(q for body, q in questions.items() if body in text)
        assert question.id not in seen  # never twice in one round
        seen.append(question.id)
        choice = (
            question.answer if position % 2 == 0 else (question.answer + 1) % len(question.options)
        )
        right += choice == question.answer
        answer_data = datas(outcome)[choice]
        outcome = await dialogue.handle(Incoming(USER, callback=answer_data))
        assert question.explanation[:40] in outcome.replies[0].text
        assert any(d == f"t:{question.topic}" for d in datas(outcome))
        outcome = await dialogue.handle(Incoming(USER, callback=datas(outcome)[0]))
    assert f"{right} out of {ROUND}" in outcome.replies[0].text
    # The next round never opens with the question this one ended on.
    again = buttons(outcome)[catalog.strings["en"]["quiz.again"]]
    for _ in range(20):
        outcome = await dialogue.handle(Incoming(USER, callback=again))
        last = next(q for q in questions.values() if q.id == seen[-1])
        assert last.question not in outcome.replies[-1].text


async def test_forged_quiz_buttons_are_stale(dialogue: Dialogue, catalog: Catalog) -> None:
    stale = catalog.strings["en"]["error.stale_button"]
    for data in ("qa:5:0:9:0", "qa:5:0:0:3", "qa:5:99:0:0", "qn:9999999:0:0", "qe:5:99", "qs:999"):
        outcome = await dialogue.handle(Incoming(USER, callback=data))
        assert outcome.replies[0].text == stale, data


# --- links ----------------------------------------------------------------------------------


async def test_a_message_with_a_link_gets_a_verdict_without_the_nlu(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog
) -> None:
    strings = catalog.strings["bg"]
    outcome = await dialogue.handle(
        Incoming(
            USER, text="Получих това: https://dsk-bank-online.top/vhod", platform_language="bg"
        )
    )
    assert nlu.seen == []
    assert strings["link.verdict.danger"] in outcome.replies[0].text
    assert "Банка ДСК" in outcome.replies[0].text  # the brand's Bulgarian name
    assert outcome.replies[-1].text == strings["link.verify"]
    assert "link_danger" in outcome.events


async def test_check_link_topic_asks_for_the_link_and_reads_the_answer(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog, conversations: MemoryConversations
) -> None:
    strings = catalog.strings["en"]
    nlu.table["can you check a link for me"] = parse_of(("check_link", 0.9))
    outcome = await dialogue.handle(Incoming(USER, text="can you check a link for me"))
    assert outcome.replies[0].text == strings["link.ask"]
    outcome = await dialogue.handle(Incoming(USER, text="dskbank.bg"))
    assert strings["link.verdict.official"].format(brand="DSK Bank") in outcome.replies[0].text
    assert USER not in conversations.rows


async def test_hidden_link_and_ten_thousand_characters(
    dialogue: Dialogue, catalog: Catalog
) -> None:
    strings = catalog.strings["en"]
    outcome = await dialogue.handle(
        Incoming(
            USER, text="Track your parcel here", links=(("https://speedy-bg.top/pay", "here"),)
        )
    )
    assert strings["link.verdict.danger"] in outcome.replies[0].text
    outcome = await dialogue.handle(Incoming(USER, text="https://example.com/" + "x" * 10_000))
    assert all(len(reply.text) <= 4096 for reply in outcome.replies)
    assert "10,020 characters" in outcome.replies[0].text


# --- privacy --------------------------------------------------------------------------------


async def test_mydata_and_forget(
    dialogue: Dialogue,
    catalog: Catalog,
    users: MemoryUsers,
    subscriptions: MemorySubscriptions,
    checklist_runs: MemoryChecklistRuns,
) -> None:
    strings = catalog.strings["en"]
    await dialogue.handle(Incoming(USER, callback="sz:citizen:480:0"))
    await dialogue.handle(Incoming(USER, callback="cks:essentials"))
    outcome = await dialogue.handle(Incoming(USER, command="privacy"))
    assert "30 days" in outcome.replies[0].text
    outcome = await dialogue.handle(Incoming(USER, command="mydata"))
    document = outcome.replies[0].document
    assert document is not None and document.filename.endswith(".json")
    stored = json.loads(document.content)
    assert stored["subscriptions"] and stored["checklist_runs"] and stored["users"]

    outcome = await dialogue.handle(Incoming(USER, command="forget"))
    assert outcome.replies[0].text == strings["privacy.forget_confirm"]
    assert buttons(outcome)[strings["privacy.forget_yes"]] == "pfy"
    outcome = await dialogue.handle(Incoming(USER, callback="pfn"))
    assert USER in subscriptions.rows
    for _ in range(2):  # /forget twice
        outcome = await dialogue.handle(Incoming(USER, callback="pfy"))
        assert outcome.replies[0].text == strings["privacy.forgotten"]
        assert USER not in users.rows and USER not in subscriptions.rows
        assert not [r for r in checklist_runs.rows.values() if r.user_id == USER]


async def test_stats_only_for_organisers(dialogue: Dialogue, catalog: Catalog) -> None:
    strings = catalog.strings["en"]
    outcome = await dialogue.handle(Incoming(USER, command="stats"))
    assert outcome.replies[0].text == strings["error.organisers_only"]
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, command="stats"))
    assert strings["stats.checklists"] in outcome.replies[0].text


async def test_flood_gets_one_notice_then_silence_without_nlu_calls(
    dialogue: Dialogue, nlu: FakeNLU, catalog: Catalog, clock: FixedClock
) -> None:
    dialogue.flood = FloodGate(FloodLimit(messages=12, window=dt.timedelta(seconds=10)))
    for n in range(12):
        outcome = await dialogue.handle(Incoming(USER, text=f"question {n}"))
        assert outcome.replies
    calls = len(nlu.seen)
    outcome = await dialogue.handle(Incoming(USER, text="one more"))
    assert [r.text for r in outcome.replies] == [catalog.strings["en"]["error.flood"]]
    for _ in range(5):
        outcome = await dialogue.handle(Incoming(USER, text="and more"))
        assert outcome.replies == ()
    # Organisers are held to the same limit.
    for _ in range(13):
        outcome = await dialogue.handle(Incoming(ORGANISER_ID, command="help"))
    assert outcome.events == ("flood_notice",)
    assert len(nlu.seen) == calls
    clock.advance(seconds=11)
    outcome = await dialogue.handle(Incoming(USER, text="after the window"))
    assert outcome.replies and len(nlu.seen) == calls + 1


async def test_region_is_chosen_in_settings(
    dialogue: Dialogue, catalog: Catalog, users: MemoryUsers
) -> None:
    strings = catalog.strings["bg"]
    outcome = await dialogue.handle(Incoming(USER, command="settings", platform_language="bg"))
    assert strings["settings.region_none"] in outcome.replies[0].text
    assert buttons(outcome)[strings["settings.change_region"]] == "rgl"
    outcome = await dialogue.handle(Incoming(USER, callback="rgl"))
    assert "rg:plovdiv" in datas(outcome)
    outcome = await dialogue.handle(Incoming(USER, callback="rg:plovdiv"))
    assert users.rows[USER].region == "plovdiv"
    assert "Пловдив" in outcome.replies[0].text
    outcome = await dialogue.handle(Incoming(USER, callback="rg:atlantis"))
    assert outcome.replies[0].text == strings["error.stale_button"]
