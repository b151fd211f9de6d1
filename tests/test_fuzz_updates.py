"""Property-based fuzzing of the Telegram edge: random updates of every kind through the real
PTB application, the real core and SQLite, against the fake Bot API. Nothing may raise, nothing
may be logged as an error, and Telegram (the fake, which checks what Telegram checks) must accept
every request the bot sends."""

from __future__ import annotations

import io
import logging
import os
import re
import string
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.auxil.telegram_bot import Bot, running_bot
from tests.fakes.bot_api import BOT_ID, FakeBotAPI, StoredFile
from tests.fakes.core import FakeNLU, parse_of

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000"))
TOPICS = ("phishing", "out_of_scope", "check_link", "quiz", "events", "subscribe_tips", "greet")

users = st.integers(min_value=1, max_value=2**40)
WORD = string.ascii_letters + string.digits + "_"


def _optional(prefix: str, rest: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), rest.map(lambda s: prefix + s))


# Every string of COMMAND's and CALLBACK's languages, and only those (test_the_strategies_...
# checks it), built from parts: hypothesis draws these three times faster than from_regex.
COMMAND = r"/[a-zA-Z0-9_]{1,40}(@[a-z_]{1,20})?( .{0,50})?"
commands = st.builds(
    lambda name, bot, rest: f"/{name}{bot}{rest}",
    st.text(WORD, min_size=1, max_size=40),
    _optional("@", st.text(string.ascii_lowercase + "_", min_size=1, max_size=20)),
    # The regex's "." is any character but a newline; the default alphabet of st.text and
    # st.from_regex is every character UTF-8 can encode.
    _optional(" ", st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=50)),
)
CALLBACK = r"[a-z]{1,4}(:[a-z0-9_]{0,20}){0,5}"
callbacks = st.builds(
    lambda head, fields: head + "".join(f":{field}" for field in fields),
    st.text(string.ascii_lowercase, min_size=1, max_size=4),
    st.lists(st.text(string.ascii_lowercase + string.digits + "_", max_size=20), max_size=5),
)
text = st.one_of(
    st.text(max_size=50),
    st.text(min_size=1, max_size=10_000),
    st.sampled_from(["/start", "/help", "/quiz", "/events", "/forget", "/checklist", "/stats"]),
    commands,
    st.builds(lambda s: f"https://{s}.example/login", st.text(min_size=1, max_size=300)),
)
callback_data = st.one_of(
    st.text(max_size=80),
    callbacks,
    st.sampled_from(["m", "qs", "ckl", "cks:essentials", "pfy", "el:0:x:a", "lk", "nsave", "asy"]),
)
chat_types = st.sampled_from(["private", "group", "supergroup", "channel"])


def _message(user: int, chat_type: str, content: dict[str, Any], update_id: int) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": user if chat_type == "private" else -user, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "A group"
    message: dict[str, Any] = {"message_id": update_id, "date": int(time.time()), "chat": chat}
    if chat_type != "channel":
        message["from"] = {"id": user, "is_bot": False, "first_name": "F", "language_code": "bg"}
    message.update(content)
    return message


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    user = draw(users)
    update_id = draw(st.integers(min_value=1, max_value=2**31))
    chat_type = draw(chat_types)
    kind = draw(
        st.sampled_from(
            [
                "text",
                "text",
                "text",
                "callback",
                "edited",
                "photo",
                "sticker",
                "caption",
                "channel_post",
            ]
        )
    )
    if kind == "callback":
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "from": {"id": user, "is_bot": False, "first_name": "F"},
                "chat_instance": "1",
                "data": draw(callback_data),
                "message": _message(
                    user,
                    "private",
                    {"text": "x", "from": {"id": BOT_ID, "is_bot": True, "first_name": "B"}},
                    update_id,
                ),
            },
        }
    body = draw(text)
    content: dict[str, Any]
    if kind == "photo":
        content = {"photo": [{"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}]}
    elif kind == "sticker":
        content = {
            "sticker": {
                "file_id": "a",
                "file_unique_id": "b",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        }
    elif kind == "caption":
        content = {
            "photo": [{"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}],
            "caption": body[:1024],
        }
    else:
        content = {"text": body}
        if body.startswith("/"):
            command = body.split()[0]
            content["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(command.encode("utf-16-le")) // 2,
                }
            ]
    message = _message(user, chat_type, content, update_id)
    if kind == "edited":
        message["edit_date"] = int(time.time())
        return {"update_id": update_id, "edited_message": message}
    if kind == "channel_post" or chat_type == "channel":
        return {"update_id": update_id, "channel_post": message}
    return {"update_id": update_id, "message": message}


def _pixel() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(out, format="PNG")
    return out.getvalue()


PIXEL = _pixel()


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
async def fuzz_bot(tmp_path_factory: pytest.TempPathFactory) -> Any:
    nlu = FakeNLU(default=lambda text: parse_of((TOPICS[len(text) % len(TOPICS)], 0.9)))
    api = FakeBotAPI()
    # The photos drawn below name file "a": Telegram serves every file of an update it sends.
    api.files["a"] = StoredFile("a", "b", "photos/file_a.png", PIXEL, len(PIXEL))
    async with running_bot(tmp_path_factory.mktemp("fuzz"), nlu, api) as bot:
        yield bot


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(update=updates())
async def test_random_updates_never_break_the_bot(fuzz_bot: Bot, update: dict[str, Any]) -> None:
    from telegram import Update

    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    before = len(fuzz_bot.api.refusals)
    try:
        await fuzz_bot.app.process_update(Update.de_json(update, fuzz_bot.app.bot))
    finally:
        logging.getLogger().removeHandler(errors)
    assert fuzz_bot.api.refusals[before:] == []
    assert [r.getMessage() for r in errors.records] == []


@settings(max_examples=200, deadline=None, derandomize=True)
@given(command=commands, callback=callbacks)
def test_the_strategies_built_from_parts_draw_their_regular_languages(
    command: str, callback: str
) -> None:
    assert re.fullmatch(COMMAND, command)
    assert re.fullmatch(CALLBACK, callback)
