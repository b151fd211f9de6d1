"""The real python-telegram-bot Application against the fake Bot API, with the real Rasa server
and real SQLite storage."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from bot.channels.telegram import TYPING_AFTER
from bot.core.ports import NLU, Parse
from bot.logs import setup_logging
from bot.nlu.client import RasaNLU
from bot.nlu.server import rasa_server
from tests.auxil.environment import MODEL, ROOT, RasaInfo, free_port
from tests.auxil.telegram_bot import USER, Bot, running_bot
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI
from tests.fakes.core import FakeNLU

pytestmark = pytest.mark.rasa


@pytest.fixture
async def bot(tmp_path: Path, rasa_nlu: RasaNLU) -> AsyncIterator[Bot]:
    async with running_bot(tmp_path, rasa_nlu, FakeBotAPI()) as running:
        yield running


async def test_commands_menu_is_set_per_language(bot: Bot) -> None:
    calls = [params for method, params in bot.api.calls if method == "setMyCommands"]
    codes = {params.get("language_code") for params in calls}
    assert codes == {*bot.catalog.languages, None}
    bg = next(p for p in calls if p.get("language_code") == "bg")
    assert bg["commands"][0]["description"] == bot.catalog.strings["bg"]["command.start"]


async def test_start_english_and_bulgarian_questions_buttons_language(bot: Bot) -> None:
    catalog = bot.catalog
    replies = await bot.say("/start", language="bg")
    assert catalog.strings["bg"]["start.greeting"][:15] in replies[0]
    # The greeting carries a button to switch to English.
    assert any(b.get("callback_data") == "l:en" for b in bot.api.sent[-2].buttons)

    phishing_en = catalog.answer("en", "phishing")
    phishing_bg = catalog.answer("bg", "phishing")
    assert phishing_en is not None and phishing_bg is not None
    replies = await bot.say("what is phishing?")
    assert phishing_en.title in replies[0]

    replies = await bot.say("какво е фишинг")
    assert phishing_bg.title in replies[0]

    replies = await bot.press("s:phishing:1")
    assert (
        phishing_en.sections[1].text[:30] in replies[0]
        or phishing_bg.sections[1].text[:30] in replies[0]
    )

    replies = await bot.say("/language")
    assert bot.api.sent[-1].buttons
    replies = await bot.press("l:en")
    assert "English" in replies[0]


async def test_forged_button_and_unknown_command_get_plain_replies(bot: Bot) -> None:
    strings = bot.catalog.strings["en"]
    assert await bot.press("t:../../etc") == [strings["error.stale_button"]]
    assert await bot.press("x" * 64) == [strings["error.stale_button"]]
    assert await bot.say("/frobnicate") == [strings["error.unknown_command"]]


async def test_html_in_user_text_is_never_echoed_raw(bot: Bot) -> None:
    # Whatever the reply, the fake refuses invalid HTML, so reaching here means it was valid.
    replies = await bot.say("<b>hello</b> & <script>alert(1)</script>")
    assert replies


async def test_polling_loop_end_to_end(bot: Bot) -> None:
    api = bot.api
    api.push_update(api.message_update(USER + 1, "hello"))
    assert bot.app.updater is not None
    await bot.app.start()
    await bot.app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        for _ in range(100):
            if api.messages_to(USER + 1):
                break
            await asyncio.sleep(0.05)
    finally:
        await bot.app.updater.stop()
        await bot.app.stop()
    assert api.messages_to(USER + 1)


async def test_rasa_stopped_mid_run_user_still_gets_menu(tmp_path: Path) -> None:
    """A Rasa server of this test's own, stopped between two questions."""
    url = f"http://127.0.0.1:{free_port()}"
    api = FakeBotAPI()
    async with httpx.AsyncClient(base_url=url) as client:
        server = rasa_server(url, None, ROOT / ".venv-rasa", MODEL, 240, tmp_path / "rasa.log")
        token = await server.__aenter__()
        nlu = RasaNLU(client, token, timeout=2.0)
        async with running_bot(tmp_path, nlu, api) as bot:
            phishing = bot.catalog.answer("en", "phishing")
            assert phishing is not None
            assert phishing.title in (await bot.say("what is phishing"))[0]
            await server.__aexit__(None, None, None)
            started = asyncio.get_running_loop().time()
            replies = await bot.say("what is phishing")
            elapsed = asyncio.get_running_loop().time() - started
    assert replies[0] == bot.catalog.strings["en"]["nlu.unavailable"]
    assert any(b.get("callback_data") == "m:threat" for b in api.sent[-1].buttons)
    assert elapsed < 5


async def test_operator_error_logged_once_without_token_or_text(
    tmp_path: Path, rasa: RasaInfo
) -> None:
    stream = io.StringIO()
    setup_logging("DEBUG", "text", [FAKE_TOKEN], stream=stream)
    secret_text = "my secret question about phishing 4242"
    api = FakeBotAPI()
    try:
        async with httpx.AsyncClient(base_url=rasa.url) as client:
            nlu = RasaNLU(client, rasa.token, timeout=5.0)
            async with running_bot(tmp_path, nlu, api) as bot:
                await bot.say("/start")
                api.fail("sendMessage", 500, "Internal Server Error: restart")
                await bot.say(secret_text)
                api.fail("sendMessage", 400, "Bad Request: chat not found")
                await bot.say("/help")
    finally:
        logging.getLogger().handlers.clear()
    output = stream.getvalue()
    records = [line for line in output.splitlines() if " ERROR " in line]
    assert len(records) == 2, output
    assert FAKE_TOKEN not in output
    assert FAKE_TOKEN.split(":")[1] not in output
    assert secret_text not in output
    assert rasa.token not in output


class TypingTimers:
    """The channel's "typing..." timers, fired by the test: what is checked is the order of
    things (the answer before or after the delay), not how fast this machine gives it."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.pending: list[tuple[TypingTimer, Callable[[], None]]] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> TypingTimer:
        timer = TypingTimer()
        self.delays.append(delay)
        self.pending.append((timer, callback))
        return timer

    def elapse(self) -> None:
        """The delay passes now for every timer not cancelled."""
        for timer, callback in self.pending:
            if not timer.cancelled:
                callback()
        self.pending.clear()


class TypingTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class SlowNLU:
    """The NLU still busy when the typing delay passes."""

    def __init__(self, inner: NLU, timers: TypingTimers) -> None:
        self.inner, self.timers, self.slow = inner, timers, False

    async def parse(self, text: str) -> Parse:
        if self.slow:
            self.timers.elapse()
            await asyncio.sleep(0)  # the "typing..." request is on its way
        return await self.inner.parse(text)


async def test_typing_shows_only_when_the_answer_is_slow(tmp_path: Path) -> None:
    timers = TypingTimers()
    nlu = SlowNLU(FakeNLU(), timers)
    async with running_bot(tmp_path, nlu, FakeBotAPI(), typing_schedule=timers) as bot:
        await bot.say("what is phishing?")
        # Answered before the delay: its timer was cancelled and nothing was sent.
        assert timers.delays == [TYPING_AFTER]
        assert [timer.cancelled for timer, _ in timers.pending] == [True]
        timers.elapse()
        assert not any(method == "sendChatAction" for method, _ in bot.api.calls)
        nlu.slow = True
        await bot.say("what is phishing?")
        methods = [method for method, _ in bot.api.calls]
        assert methods.count("sendChatAction") == 1
        # Before the answer, never after it (it would show "typing..." under the answer).
        assert methods.index("sendChatAction") < len(methods) - 1
        assert methods[-1] == "sendMessage"
