"""The organisers' wizards keep a typed state in the conversation store as flat strings: what
is kept is what is read back, so a restart or another process continues the wizard."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.announcements import check_text
from bot.core.messages import Button
from bot.core.ports import Audience, PendingInput
from bot.dialogue.router import Dialogue
from bot.features.organising.announce_steps import ANNOUNCE_FLOW, Draft, Step, actions_of
from bot.features.organising.event_steps import EVENT_FLOW, PREVIEW, EventForm
from bot.text.markup import MESSAGE_LIMIT


def test_an_announcement_draft_is_read_back_as_it_was_kept() -> None:
    draft = Draft(
        step=Step.CONFIRM,
        text="<b>Webinar</b> on Thursday",
        button=Button("Join", url="https://cybersecuritymonth.eu"),
        audience=Audience(segment="citizen", language="bg", region="plovdiv", event_id=12),
        send_at=dt.datetime(2030, 10, 7, 18, 0, tzinfo=ZoneInfo("Europe/Sofia")),
    )
    kept = draft.pending()
    assert kept.flow == ANNOUNCE_FLOW
    # Flat strings: no JSON inside a value.
    assert all(not value.startswith("{") for value in kept.data.values())
    assert Draft.of(kept) == draft
    assert Draft.of(Draft().pending()) == Draft()


def test_a_state_that_is_no_announcement_draft_is_not_read_as_one() -> None:
    assert Draft.of(PendingInput(EVENT_FLOW, {"step": "text"})) is None
    assert Draft.of(PendingInput(ANNOUNCE_FLOW, {"step": "gone"})) is None
    assert Draft.of(PendingInput(ANNOUNCE_FLOW, {})) is None


def test_an_event_form_is_read_back_as_it_was_kept() -> None:
    form = EventForm("start", {"title_en": "Scams talk", "timezone": "Europe/Sofia"}, event_id=4)
    kept = form.pending()
    assert kept.flow == EVENT_FLOW
    assert EventForm.of(kept) == form
    assert EventForm.of(EventForm(PREVIEW).pending()) == EventForm(PREVIEW)
    assert EventForm.of(PendingInput(ANNOUNCE_FLOW, {"step": "text"})) is None


def test_the_announcement_table_is_what_the_feature_registers(dialogue: Dialogue) -> None:
    wizard = dialogue.features.organising.announce_wizard
    for action in actions_of(wizard.states):
        assert dialogue.routes.owner("callback action", action) == "organisers"
    # Typed text is taken where the table says so, and nowhere else.
    typed = {step for step, answers in wizard.states.items() if answers.typed is not None}
    assert typed == {Step.TEXT, Step.BUTTON, Step.WHEN}


def test_the_text_limits_are_the_validators() -> None:
    too_long = check_text("x" * (MESSAGE_LIMIT + 1))
    empty = check_text("  ")
    assert too_long is not None and too_long.limit == MESSAGE_LIMIT
    assert empty is not None and empty.limit == MESSAGE_LIMIT
