"""A reply as the outbox stores it (JSON) and back: the one codec between Reply and the payload
column, for everything the bot sends on its own initiative."""

from __future__ import annotations

from typing import Any

from bot.core.messages import Button, Reply


def reply_of(payload: dict[str, Any]) -> Reply:
    """The reply an outbox payload stores (the inverse of payload_of)."""
    return Reply(
        payload["text"],
        buttons=tuple(
            tuple(Button(b["label"], data=b.get("data"), url=b.get("url")) for b in row)
            for row in payload.get("buttons") or []
        ),
    )


def payload_of(reply: Reply) -> dict[str, Any]:
    """A reply as the outbox stores it (JSON)."""
    return {
        "text": reply.text,
        "buttons": [
            [{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in reply.buttons
        ],
    }
