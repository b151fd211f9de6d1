"""The bot's request class (bot.channels.telegram.BotApiRequest) sends a Bot API call without
files as a JSON body, with the same parameters python-telegram-bot's own HTTPXRequest sends as a
form; files still go as multipart/form-data. (Its failures: tests/test_http_transport.py.)"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.telegram import BotApiRequest, bot_api_request, keyboard, send_replies
from bot.channels.telegram_sender import TelegramSender
from bot.core.messages import Button, Reply
from bot.core.payloads import payload_of
from tests.fakes.bot_api import FAKE_TOKEN

ME = {"id": 1, "is_bot": True, "first_name": "b", "username": "b"}


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if request.url.path.endswith("/getMe"):
            return httpx.Response(200, json={"ok": True, "result": ME})
        result = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "-"}
        return httpx.Response(200, json={"ok": True, "result": result})


def _form_value(value: str) -> Any:
    # PTB's form sends every non-string value JSON-encoded.
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _send(request: BaseRequest) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Това не помогна", callback_data="nh:12")]]
    )
    async with Bot(FAKE_TOKEN, base_url="http://bot-api/bot", request=request) as bot:
        message = await bot.send_message(
            42,
            "Фишинг: <b>не</b> отваряйте връзки & 100% „кавички“ 🙂",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        assert message.message_id == 7


async def test_a_message_goes_as_json_with_the_forms_parameters() -> None:
    as_json, as_form = Recorder(), Recorder()
    await _send(BotApiRequest(httpx_kwargs={"transport": httpx.MockTransport(as_json)}))
    await _send(HTTPXRequest(httpx_kwargs={"transport": httpx.MockTransport(as_form)}))
    sent, form = as_json.requests[-1], as_form.requests[-1]
    assert sent.url.path.endswith("/sendMessage")
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"] == form.headers["user-agent"]
    assert form.headers["content-type"] == "application/x-www-form-urlencoded"
    expected = {key: _form_value(value) for key, value in parse_qsl(form.content.decode())}
    assert json.loads(sent.content) == expected
    assert expected["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "nh:12"


async def test_a_file_still_goes_as_multipart() -> None:
    recorder = Recorder()
    request = BotApiRequest(httpx_kwargs={"transport": httpx.MockTransport(recorder)})
    async with Bot(FAKE_TOKEN, base_url="http://bot-api/bot", request=request) as bot:
        await bot.send_document(42, InputFile(b"%PDF-1.4 x", filename="a.pdf"), caption="виж")
    sent = recorder.requests[-1]
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert b'filename="a.pdf"' in sent.content
    assert b"%PDF-1.4 x" in sent.content
    assert "виж".encode() in sent.content


async def test_timeouts_are_httpx_requests() -> None:
    seen: list[dict[str, float | None]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return Recorder()(request)

    request = bot_api_request(read_timeout=3.0, connect_timeout=2.0)
    assert request.read_timeout == 3.0
    request = BotApiRequest(
        read_timeout=3.0,
        connect_timeout=2.0,
        httpx_kwargs={"transport": httpx.MockTransport(record)},
    )
    async with Bot(FAKE_TOKEN, base_url="http://bot-api/bot", request=request) as bot:
        await bot.send_message(42, "x")
        await bot.send_message(42, "x", read_timeout=9.0)
        await bot.send_document(42, InputFile(b"x", filename="a.txt"))
    assert seen[-3] == {"connect": 2.0, "read": 3.0, "write": 5.0, "pool": 1.0}
    assert seen[-2]["read"] == 9.0
    assert seen[-1]["write"] == 20.0  # the media write timeout, as HTTPXRequest's
    # Shut down and initialised again (PTB does this): a new client, which works.
    await request.shutdown()
    await request.initialize()
    async with Bot(FAKE_TOKEN, base_url="http://bot-api/bot", request=request) as bot:
        await bot.send_message(42, "x")


async def test_cookies_are_neither_kept_nor_sent() -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        response = Recorder()(request)
        response.headers["set-cookie"] = "session=abc; Path=/"
        return response

    request = BotApiRequest(httpx_kwargs={"transport": httpx.MockTransport(answer)})
    async with Bot(FAKE_TOKEN, base_url="http://bot-api/bot", request=request) as bot:
        await bot.send_message(42, "x")
        await bot.send_message(42, "y")
    assert requests[-1].url.path.endswith("/sendMessage")
    assert "cookie" not in requests[-1].headers


async def test_replies_send_the_keyboard_and_no_preview_as_ptb_would() -> None:
    recorder = Recorder()
    request = BotApiRequest(httpx_kwargs={"transport": httpx.MockTransport(recorder)})
    sections = (Button("Как", data="s:x:0"), Button("Защо", data="s:x:1"))
    links = (Button("Сайт", url="https://example.org"), Button("App", web_app="https://a.bg/w"))
    replies = [
        Reply("Отговор", buttons=(sections, (Button("Това не помогна", data=f"nh:{n}"),), links))
        for n in (12, 13, 12)  # the rows they share are made once, the keyboards each time
    ]
    async with Bot(FAKE_TOKEN, base_url="http://bot-api/bot", request=request) as bot:
        for reply in replies:
            await send_replies(bot, 42, [reply, Reply("без бутони")])
    sent = [json.loads(r.content) for r in recorder.requests if r.url.path.endswith("/sendMessage")]
    assert len(sent) == 6
    for reply, with_buttons, without in zip(replies, sent[0::2], sent[1::2], strict=True):
        markup = keyboard(reply)
        assert markup is not None
        assert with_buttons["reply_markup"] == markup.to_dict()
        assert with_buttons["link_preview_options"] == {"is_disabled": True}
        assert with_buttons["parse_mode"] == "HTML" and with_buttons["text"] == "Отговор"
        assert "reply_markup" not in without
        assert without["link_preview_options"] == {"is_disabled": True}
    assert sent[0]["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "nh:12"
    assert sent[2]["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "nh:13"


async def test_outbox_items_send_the_keyboard_and_no_preview_as_replies_do() -> None:
    recorder = Recorder()
    request = BotApiRequest(httpx_kwargs={"transport": httpx.MockTransport(recorder)})
    reply = Reply("Съвет за деня", buttons=((Button("Меню", data="m"),),))
    async with Bot(FAKE_TOKEN, base_url="http://bot-api/bot", request=request) as bot:
        sender = TelegramSender(bot)
        await sender.send(42, payload_of(reply))
        await sender.send(42, payload_of(Reply("без бутони")))
    sent = [json.loads(r.content) for r in recorder.requests if r.url.path.endswith("/sendMessage")]
    markup = keyboard(reply)
    assert markup is not None
    assert sent[0]["reply_markup"] == markup.to_dict()
    assert sent[0]["text"] == "Съвет за деня" and sent[0]["parse_mode"] == "HTML"
    assert "reply_markup" not in sent[1]
    assert (
        sent[0]["link_preview_options"] == sent[1]["link_preview_options"] == {"is_disabled": True}
    )
