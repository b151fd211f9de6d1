"""The bot's HTTP transport (bot/http.py, aiohttp's pool under httpx's API) over real sockets:
the sender classifies every failure as it did with httpx's own transport, the Bot API's errors
keep their meaning, a closed transport opens anew, and nothing is left unclosed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from telegram import Bot, InputFile
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.telegram import bot_api_request
from bot.channels.telegram_sender import TelegramSender
from bot.core.ports import NLUUnavailable
from bot.delivery.ports import Outcome, SendResult
from bot.http import Transport, client
from bot.nlu.client import RasaNLU
from tests.auxil.environment import free_port
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI, asgi_app

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def httpx_own(timeout: float) -> BaseRequest:
    return HTTPXRequest(read_timeout=timeout, write_timeout=timeout, connect_timeout=timeout)


def ours(timeout: float) -> BaseRequest:
    return bot_api_request(read_timeout=timeout, write_timeout=timeout, connect_timeout=timeout)


REQUESTS = pytest.mark.parametrize("request_for", [httpx_own, ours], ids=["httpx", "aiohttp"])


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A TCP server that does whatever `handler` does with each connection."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def served(api: FakeBotAPI) -> AsyncIterator[str]:
    """The fake Bot API over HTTP, as Telegram's is reached."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(asgi_app(api), host="127.0.0.1", port=port, log_level="error")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def send_through(base: str, request: BaseRequest, chat_id: int = 5) -> SendResult:
    # Not initialised (no getMe): the server sees the sendMessage alone.
    bot = Bot(FAKE_TOKEN, base_url=f"{base}/bot", request=request)
    try:
        return await TelegramSender(bot).send(chat_id, {"text": "hello"})
    finally:
        await request.shutdown()


async def read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)


async def hang_up_after_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.close()


async def answer_garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"this is not HTTP\r\n\r\n")
    await writer.drain()
    writer.close()


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await asyncio.sleep(5)
    writer.close()


async def cut_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{"
    )
    await writer.drain()
    writer.close()


@REQUESTS
@pytest.mark.parametrize(
    ("handler", "outcome"),
    [
        # The request was read: it may have been delivered, never resent blindly.
        (hang_up_after_reading, Outcome.AMBIGUOUS),
        (answer_garbage, Outcome.AMBIGUOUS),
        (never_answer, Outcome.AMBIGUOUS),
        (cut_mid_body, Outcome.AMBIGUOUS),
    ],
)
async def test_a_request_that_reached_the_server_is_never_taken_for_unsent(
    request_for: Callable[[float], BaseRequest], handler: Handler, outcome: Outcome
) -> None:
    async with raw_server(handler) as base:
        result = await send_through(base, request_for(0.5))
    assert result.outcome is outcome, result


async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # Takes the connection and reads nothing: the client's upload fills the socket's buffers.
    await asyncio.sleep(120)
    writer.close()


@pytest.mark.parametrize("make", [httpx.AsyncClient, client], ids=["httpx", "aiohttp"])
async def test_an_upload_the_server_stops_reading_ends_in_a_timeout(
    make: Callable[..., httpx.AsyncClient],
) -> None:
    # Larger than any socket buffer, so the write itself must wait; not a timing assertion:
    # without a limit on it the request would wait for the server's 120 s and fail otherwise.
    async with raw_server(never_read) as base, make(timeout=httpx.Timeout(0.5)) as http:
        with pytest.raises(httpx.TimeoutException):
            await http.post(f"{base}/upload", content=b"x" * (64 << 20))


@REQUESTS
async def test_a_refused_connection_is_safe_to_send_again(
    request_for: Callable[[float], BaseRequest],
) -> None:
    # A port nobody listens on: the request never left.
    result = await send_through(f"http://127.0.0.1:{free_port()}", request_for(0.5))
    assert result.outcome is Outcome.TRANSIENT, result


@REQUESTS
async def test_the_bot_apis_answers_keep_their_meaning(
    request_for: Callable[[float], BaseRequest],
) -> None:
    api = FakeBotAPI()
    api.blocked.add(7)
    api.unknown_chats.add(8)
    async with served(api) as base:
        assert (await send_through(base, request_for(5))).outcome is Outcome.SENT
        api.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        limited = await send_through(base, request_for(5))
        assert (limited.outcome, limited.retry_after) == (Outcome.RETRY_AFTER, 3.0)
        assert (await send_through(base, request_for(5), 7)).outcome is Outcome.BLOCKED
        assert (await send_through(base, request_for(5), 8)).outcome is Outcome.CHAT_NOT_FOUND
        api.fail("sendMessage", 400, "Bad Request: can't parse entities")
        assert (await send_through(base, request_for(5))).outcome is Outcome.PERMANENT
        api.fail("sendMessage", 502, "Bad Gateway")
        assert (await send_through(base, request_for(5))).outcome is Outcome.TRANSIENT
    assert [s.chat_id for s in api.sent] == [5]


async def test_a_request_shut_down_and_initialised_again_sends_and_leaves_nothing_open(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = FakeBotAPI()
    request = bot_api_request()
    async with served(api) as base:
        bot = Bot(FAKE_TOKEN, base_url=f"{base}/bot", request=request)
        for _ in range(2):
            # python-telegram-bot builds a new httpx client from the same transport.
            async with bot:
                await bot.send_message(5, "hello")
    del bot, request
    gc.collect()
    await asyncio.sleep(0)
    assert len(api.sent) == 2
    unclosed = [r for r in caplog.records if "Unclosed" in r.getMessage()]
    assert unclosed == []


async def test_sends_that_start_together_each_get_a_connection_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    through: list[str] = []
    original = Transport.handle_async_request

    async def counted(self: Transport, request: httpx.Request) -> httpx.Response:
        through.append(request.url.path.rsplit("/", 1)[-1])
        return await original(self, request)

    monkeypatch.setattr(Transport, "handle_async_request", counted)
    api = FakeBotAPI()
    async with (
        served(api) as base,
        Bot(FAKE_TOKEN, base_url=f"{base}/bot", request=bot_api_request()) as bot,
    ):
        await asyncio.gather(*(bot.send_message(chat, "hi") for chat in range(1, 21)))
        await asyncio.gather(*(bot.send_message(chat, "again") for chat in range(1, 21)))
    assert sorted(s.chat_id for s in api.sent) == sorted([*range(1, 21)] * 2)
    # Every request went through aiohttp's pool, none through httpx's own.
    assert through == ["getMe", *["sendMessage"] * 40]


@REQUESTS
async def test_a_proxy_from_the_environment_is_used_as_before(
    request_for: Callable[[float], BaseRequest], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        lines.append((await reader.readuntil(b"\r\n")).strip())
        await read_request(reader)
        chat = {"id": 5, "type": "private"}
        body = json.dumps(
            {"ok": True, "result": {"message_id": 9, "date": 0, "chat": chat}}
        ).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    async with raw_server(proxy) as proxy_url:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("http_proxy", proxy_url)
        result = await send_through("http://bot-api.invalid", request_for(2))
    assert result.outcome is Outcome.SENT, result
    assert lines == [f"POST http://bot-api.invalid/bot{FAKE_TOKEN}/sendMessage HTTP/1.1".encode()]


async def test_files_go_up_as_multipart_and_come_down_whole() -> None:
    # The PDFs and charts the bot sends, and the screenshots it downloads for the message check.
    api = FakeBotAPI()
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 1200
    screenshot = bytes(reversed(range(256))) * 4000
    stored = api.add_file(screenshot, "photos", "jpg")
    async with (
        served(api) as base,
        Bot(
            FAKE_TOKEN,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=bot_api_request(),
        ) as bot,
    ):
        await bot.send_document(5, InputFile(pdf, filename="calendar.pdf"), caption="c")
        file = await bot.get_file(stored.file_id)
        downloaded = await file.download_as_bytearray()
    assert api.sent[0].params["document"] == pdf
    assert bytes(downloaded) == screenshot


async def test_rasa_over_the_transport_parses_and_reports_an_absent_server() -> None:
    answer: dict[str, Any] = {
        "intent": {"name": "phishing", "confidence": 0.9},
        "intent_ranking": [{"name": "phishing", "confidence": 0.9}],
        "entities": [],
    }

    async def parse_endpoint(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await read_request(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            body = json.dumps(answer).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        writer.close()

    async with raw_server(parse_endpoint) as base, client(base) as http:
        nlu = RasaNLU(http, "token", timeout=2.0)
        parsed = await nlu.parse("what is phishing")
        assert parsed.ranking[0].name == "phishing"
    async with client(f"http://127.0.0.1:{free_port()}") as http:
        with pytest.raises(NLUUnavailable, match="ConnectError"):
            await RasaNLU(http, "token", timeout=2.0).parse("hi")


async def test_the_connect_timeout_is_added_to_the_pools_wait() -> None:
    seen: list[dict[str, Any]] = []

    class Recording(Transport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            seen.append(request.extensions["timeout"])
            return response

    api = FakeBotAPI()
    async with (
        served(api) as base,
        httpx.AsyncClient(
            transport=Recording(),
            timeout=httpx.Timeout(connect=5.0, read=5.0, write=5.0, pool=1.0),
        ) as http,
    ):
        await http.get(f"{base}/bot{FAKE_TOKEN}/getMe")
    assert seen == [{"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 6.0}]


@pytest.fixture(autouse=True)
def _asyncio_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
