"""Screenshots through the Telegram edge: the real python-telegram-bot against the fake Bot API,
which serves files as Telegram does (getFile, then the download under /file/bot<token>/). What
the channel hands the dialogue is checked at that boundary: the picture's bytes, its caption,
whether it was forwarded; and what it refuses before downloading."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import pytest
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.channels.telegram import TelegramChannel, build_application, file_url
from bot.content.catalog import Catalog
from bot.core.messages import Incoming, Outcome, Reply
from bot.dialogue.router import Dialogue
from tests.auxil.screenshots import Bubble, image_document, render_chat
from tests.fakes.bot_api import FAKE_TOKEN, GET_FILE_LIMIT, FakeBotAPI

USER = 1001
MB = 1024 * 1024
SCREENSHOT = render_chat("DHL", [Bubble("Your parcel is on hold: pay 1.99 EUR at dhl-bg.com")])


@dataclass
class RecordingDialogue:
    """Stands for the dialogue: keeps what the channel hands it and answers "ok"."""

    received: list[Incoming] = field(default_factory=list)

    async def handle(self, incoming: Incoming) -> Outcome:
        self.received.append(incoming)
        return Outcome((Reply("ok"),), "en")

    async def respond(self, incoming: Incoming) -> Outcome:
        return await self.handle(incoming)


@dataclass
class Edge:
    api: FakeBotAPI
    app: Application  # type: ignore[type-arg]
    dialogue: RecordingDialogue

    async def send(self, update: dict[str, Any]) -> list[str]:
        before = len(self.api.sent)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return [s.text or "" for s in self.api.sent[before:]]


async def start(
    catalog: Catalog, max_image_bytes: int, base_url: str = "http://bot-api.test/bot"
) -> tuple[Application, RecordingDialogue, FakeBotAPI]:  # type: ignore[type-arg]
    api, dialogue = FakeBotAPI(), RecordingDialogue()
    channel = TelegramChannel(cast(Dialogue, dialogue), catalog, max_image_bytes=max_image_bytes)
    app = build_application(
        FAKE_TOKEN,
        base_url,
        channel,
        request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
    )
    return app, dialogue, api


@pytest.fixture
async def edge(catalog: Catalog) -> AsyncIterator[Edge]:
    app, dialogue, api = await start(catalog, 10 * MB)
    async with app:
        yield Edge(api, app, dialogue)


def get_file_calls(api: FakeBotAPI) -> list[dict[str, Any]]:
    return [params for method, params in api.calls if method == "getFile"]


async def test_a_photo_is_downloaded_at_its_largest_size_with_its_caption(edge: Edge) -> None:
    update = edge.api.photo_update(USER, SCREENSHOT.image, caption="is this real?", forwarded=True)
    replies = await edge.send(update)
    assert replies == ["ok"]
    [incoming] = edge.dialogue.received
    largest = update["message"]["photo"][-1]
    assert incoming.image == edge.api.files[largest["file_id"]].content
    assert incoming.text == "is this real?"
    assert incoming.forwarded
    assert [p["file_id"] for p in get_file_calls(edge.api)] == [largest["file_id"]]
    stored = edge.api.files[largest["file_id"]]
    assert edge.api.downloads == [f"/file/bot{FAKE_TOKEN}/{stored.file_path}"]
    # Telegram's sizes: thumbnails first, the 1280 px copy last.
    assert max(largest["width"], largest["height"]) == 1280


async def test_an_image_document_is_downloaded_as_sent(edge: Edge) -> None:
    update = edge.api.document_update(USER, SCREENSHOT.image, "Screenshot.png", "image/png")
    await edge.send(update)
    [incoming] = edge.dialogue.received
    assert incoming.image == SCREENSHOT.image
    assert incoming.text is None
    assert not incoming.forwarded


async def test_a_forwarded_text_is_marked_as_forwarded(edge: Edge) -> None:
    await edge.send(edge.api.message_update(USER, "Your card is blocked", forwarded=True))
    [incoming] = edge.dialogue.received
    assert incoming.text == "Your card is blocked" and incoming.forwarded and incoming.image is None


@pytest.mark.parametrize(("language", "code"), [("en", "en"), ("bg", "bg")])
async def test_a_file_over_the_limit_is_refused_before_downloading(
    edge: Edge, catalog: Catalog, language: str, code: str
) -> None:
    jpeg = image_document(SCREENSHOT.image, "JPEG")
    update = edge.api.document_update(
        USER, jpeg, "photo.jpg", "image/jpeg", language_code=code, size=15 * MB
    )
    replies = await edge.send(update)
    assert replies == [catalog.text(language, "ocr.too_large", megabytes="10")]
    assert edge.dialogue.received == []
    assert get_file_calls(edge.api) == [] and edge.api.downloads == []


async def test_a_photo_uses_the_largest_size_within_the_limit(edge: Edge) -> None:
    update = edge.api.photo_update(USER, SCREENSHOT.image, size=12 * MB)
    await edge.send(update)
    [incoming] = edge.dialogue.received
    second = update["message"]["photo"][-2]
    assert incoming.image == edge.api.files[second["file_id"]].content


async def test_telegrams_own_limit_refuses_a_file_of_unknown_size(
    edge: Edge, catalog: Catalog
) -> None:
    update = edge.api.document_update(
        USER, SCREENSHOT.image, "huge.png", "image/png", size=GET_FILE_LIMIT + 1
    )
    del update["message"]["document"]["file_size"]  # the update did not say
    replies = await edge.send(update)
    assert ("getFile", 400, "Bad Request: file is too big") in edge.api.refusals
    assert replies == [catalog.text("en", "ocr.too_large", megabytes="10")]
    assert edge.dialogue.received == [] and edge.api.downloads == []


async def test_getfile_and_downloads_answer_as_telegram_does(edge: Edge) -> None:
    bot = edge.app.bot
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("AgACunknown")
    big = edge.api.add_file(b"x", "documents", "png", size=GET_FILE_LIMIT + 1)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big.file_id)
    transport = edge.api.transport()
    async with httpx.AsyncClient(transport=transport, base_url="http://bot-api.test") as client:
        missing = await client.get(f"/file/bot{FAKE_TOKEN}/photos/file_999.jpg")
        assert missing.status_code == 404
        wrong_token = await client.get(f"/file/bot1:wrong/{big.file_path}")
        assert wrong_token.status_code == 401
        found = await client.get(f"/file/bot{FAKE_TOKEN}/{big.file_path}")
        assert found.status_code == 200 and found.content == b"x"


async def test_downloads_follow_a_local_bot_api_servers_base_url(catalog: Catalog) -> None:
    app, dialogue, api = await start(catalog, 10 * MB, base_url="http://127.0.0.1:8081/tg/bot")
    async with app:
        update = api.document_update(USER, SCREENSHOT.image, "Screenshot.png", "image/png")
        await app.process_update(Update.de_json(update, app.bot))
    [incoming] = dialogue.received
    assert incoming.image == SCREENSHOT.image
    stored = api.files[update["message"]["document"]["file_id"]]
    assert api.downloads == [f"/tg/file/bot{FAKE_TOKEN}/{stored.file_path}"]


@pytest.mark.parametrize(
    ("base", "files"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        # Only the last /bot is the Bot API's: the host may begin with "bot".
        ("https://botapi.example.org/bot", "https://botapi.example.org/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/file/bot"),
    ],
)
def test_the_file_url_follows_the_base_url(base: str, files: str) -> None:
    assert file_url(base) == files


def test_a_base_url_without_bot_is_refused() -> None:
    with pytest.raises(ValueError, match="TELEGRAM_API_BASE_URL"):
        file_url("http://127.0.0.1:8081/")
