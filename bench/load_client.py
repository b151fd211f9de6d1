"""The load client of bench/load.py, in a process of its own: it plays Telegram on both sides,
posting the simulated users' messages to the bot's webhook and taking the bot's answers as the
Bot API (the fake, served over HTTP), so the bot's process does only the bot's work.

Times are time.perf_counter(), which on Linux is CLOCK_MONOTONIC: one clock for every process
of the machine, so the bot's process can set them against its own.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx
import uvicorn

from tests.fakes.bot_api import FakeBotAPI, asgi_app

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
THINK_S = (0.5, 1.5)


@dataclass(frozen=True)
class Run:
    chats: int
    per_chat: int
    first_user: int
    first_update: int


@dataclass(frozen=True)
class Message:
    update_id: int
    posted: float  # the POST left the client
    acknowledged: float  # the webhook's 200
    answered: float  # the bot's sendMessage reached the Bot API


def main(conn: Connection, api_port: int, webhook: str, secret: str, texts: list[str]) -> None:
    asyncio.run(_serve(conn, api_port, webhook, secret, texts))


async def _serve(
    conn: Connection, api_port: int, webhook: str, secret: str, texts: list[str]
) -> None:
    api = FakeBotAPI()
    replied: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
    answered: dict[int, float] = {}
    original = api.api_sendMessage

    async def send_message(params: dict[str, Any]) -> dict[str, Any]:
        chat = int(str(params["chat_id"]))
        answered[chat] = time.perf_counter()
        answer = await original(params)
        replied[chat].set()
        return answer

    api.api_sendMessage = send_message  # type: ignore[method-assign]
    server = uvicorn.Server(
        uvicorn.Config(
            asgi_app(api), host="127.0.0.1", port=api_port, log_level="error", access_log=False
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
        await asyncio.sleep(0.05)
    conn.send("ready")
    async with httpx.AsyncClient(
        base_url=webhook, limits=httpx.Limits(max_connections=512, keepalive_expiry=60), timeout=60
    ) as client:
        while (run := await asyncio.to_thread(conn.recv)) is not None:
            started = time.perf_counter()
            messages = await _one_run(client, api, replied, answered, secret, texts, run)
            conn.send((messages, time.perf_counter() - started))
    server.should_exit = True
    await serving


async def _one_run(
    client: httpx.AsyncClient,
    api: FakeBotAPI,
    replied: dict[int, asyncio.Event],
    answered: dict[int, float],
    secret: str,
    texts: list[str],
    run: Run,
) -> list[Message]:
    rng = random.Random(run.chats)
    update_ids = iter(range(run.first_update, run.first_update + run.chats * run.per_chat))
    messages: list[Message] = []

    async def chat(user: int) -> None:
        # People read the answer and type the next question: about a second between messages
        # (a fast chatter), starting at random moments.
        await asyncio.sleep(rng.uniform(0, THINK_S[1]))
        for n in range(run.per_chat):
            if n:
                await asyncio.sleep(rng.uniform(*THINK_S))
            update = api.message_update(user, rng.choice(texts), "en")
            update["update_id"] = next(update_ids)
            replied[user].clear()
            posted = time.perf_counter()
            response = await client.post("/telegram", json=update, headers={SECRET_HEADER: secret})
            assert response.status_code == 200
            acknowledged = time.perf_counter()
            await asyncio.wait_for(replied[user].wait(), timeout=30)
            messages.append(Message(update["update_id"], posted, acknowledged, answered[user]))

    await asyncio.gather(*(chat(run.first_user + n) for n in range(run.chats)))
    return messages
