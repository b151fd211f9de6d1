"""A screenshot of a scam, end to end: a photo update from the fake Bot API, getFile, the
download under /file/bot<token>/, the real Tesseract, the message check, and the verdict sent
back; and a refusal before downloading."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.auxil.ocr import require_tesseract
from tests.auxil.screenshots import Bubble, render_chat
from tests.auxil.telegram_bot import USER, Bot, running_bot
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI
from tests.fakes.core import FakeNLU

NEW_NUMBER = [
    Bubble("Мамо, смених си номера. Пиши ми във Вайбър на този, спешно е!"),
    Bubble("Кой си ти?", sent=True),
    Bubble("Аз съм. Прати ми 850 лв. по Revolut, спешно е, после ще ти обясня."),
]


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    require_tesseract()
    # Tesseract runs niced: on a busy machine it waits for the CPU, and this test is about the
    # verdict, not the time limit.
    async with running_bot(tmp_path, FakeNLU(), FakeBotAPI(), OCR_TIMEOUT=120) as running:
        yield running


async def test_a_screenshot_of_a_scam_gets_a_verdict(bot: Bot) -> None:
    strings = bot.catalog.strings["bg"]
    shot = render_chat("+359 88 765 4321", NEW_NUMBER, mode="dark")
    update = bot.api.photo_update(USER, shot.image, language_code="bg")
    replies = await bot.exchange(update)
    largest = update["message"]["photo"][-1]
    stored = bot.api.files[largest["file_id"]]
    assert bot.api.downloads == [f"/file/bot{FAKE_TOKEN}/{stored.file_path}"]
    text = "\n".join(replies)
    # What OCR read is shown, and the verdict is the check's, in Bulgarian.
    assert strings["check.image.read"].split("{text}")[0] in text
    assert "смених си номера" in text
    assert strings["check.verdict.likely_scam"] in text


async def test_a_screenshot_over_the_limit_is_refused_before_downloading(tmp_path: Path) -> None:
    api = FakeBotAPI()
    async with running_bot(tmp_path, FakeNLU(), api, OCR_MAX_BYTES=1024 * 1024) as bot:
        shot = render_chat("DHL", [Bubble("Pay the customs fee")])
        update = api.document_update(
            USER, shot.image, "shot.png", "image/png", language_code="bg", size=3 * 1024 * 1024
        )
        replies = await bot.exchange(update)
        assert replies == [bot.catalog.text("bg", "ocr.too_large", megabytes="1")]
        assert api.downloads == []
