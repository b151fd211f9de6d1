"""The Telegram channel hands the replies over first and then runs the writes the dialogue left
for after them (`Outcome.after`: an answer's review row on PostgreSQL), before the update counts
as handled: the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import Update
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.channels.telegram import TelegramChannel, build_application
from bot.content.catalog import Catalog
from bot.core.messages import Incoming, Outcome, Reply
from bot.dialogue.router import Dialogue
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI

USER = 1001


@dataclass
class WritingDialogue:
    """Stands for the dialogue: answers "ok" with one write left for after the reply, which
    notes how many messages the fake Bot API had received when it ran."""

    api: FakeBotAPI
    written: list[int] = field(default_factory=list)

    async def respond(self, incoming: Incoming) -> Outcome:
        async def write() -> None:
            self.written.append(len(self.api.sent))

        after: tuple[Callable[[], Awaitable[None]], ...] = (write,)
        return Outcome((Reply("ok"),), "en", after=after)


def application(catalog: Catalog) -> tuple[Application, WritingDialogue]:  # type: ignore[type-arg]
    api = FakeBotAPI()
    dialogue = WritingDialogue(api)
    channel = TelegramChannel(cast(Dialogue, dialogue), catalog)
    app = build_application(
        FAKE_TOKEN,
        "http://bot-api.test/bot",
        channel,
        request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
    )
    return app, dialogue


async def process(app: Application, update: dict[str, Any]) -> None:  # type: ignore[type-arg]
    await app.process_update(Update.de_json(update, app.bot))


async def test_the_write_runs_after_the_reply_and_before_the_update_is_done(
    catalog: Catalog,
) -> None:
    app, dialogue = application(catalog)
    async with app:
        await process(app, dialogue.api.message_update(USER, "what is phishing"))
    assert [s.text for s in dialogue.api.sent] == ["ok"]
    assert dialogue.written == [1]  # ran once, with the reply already received


async def test_the_write_runs_when_the_reply_cannot_be_sent(catalog: Catalog) -> None:
    app, dialogue = application(catalog)
    dialogue.api.blocked.add(USER)
    async with app:
        await process(app, dialogue.api.message_update(USER, "what is phishing"))
    assert dialogue.api.sent == []
    assert dialogue.written == [0]
