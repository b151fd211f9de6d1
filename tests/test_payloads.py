"""The outbox's payload: a reply stored as JSON comes back as the same reply."""

from __future__ import annotations

import json

from bot.core.messages import Button, Reply
from bot.core.payloads import payload_of, reply_of


def test_a_reply_with_both_kinds_of_button_survives_the_outbox() -> None:
    reply = Reply(
        "<b>Уебинар</b> в четвъртък",
        buttons=(
            (Button("Join", url="https://cybersecuritymonth.eu"), Button("Menu", data="m")),
            (Button("Stop", data="uo"),),
        ),
    )
    stored = json.loads(json.dumps(payload_of(reply)))
    assert reply_of(stored) == reply


def test_a_reply_without_buttons_survives_the_outbox() -> None:
    assert reply_of(json.loads(json.dumps(payload_of(Reply("tip"))))) == Reply("tip")
