"""The reply's HTTP hand-over alone: python-telegram-bot's sendMessage through each HTTP transport.

`python -m bench.handover`: simulated chats send through one `Bot` to a minimal Bot API served by
uvicorn in a process of its own, while a "noise" task keeps the bot's loop busy part of the time
with callbacks of about a millisecond (the other chats' work). Per send: from the call to the
server reading the request ("to server", the hand-over that bench.load's in_bot - to_request
measures) and to the answer parsed ("round trip"); the loop's CPU per send; and, for httpx,
how often httpcore's pool re-queued a request (ConnectionNotAvailable: encode/httpcore#822).
The transports run alternately, several rounds, in one process each round.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot import http
from tests.auxil.environment import free_port
from tests.fakes.bot_api import BOT_ID, BOT_USERNAME, FAKE_TOKEN

ME = {"id": BOT_ID, "is_bot": True, "first_name": "bot", "username": BOT_USERNAME}


def _server(conn: Connection, port: int) -> None:
    received: dict[str, float] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        now = time.perf_counter()
        method = scope["path"].rsplit("/", 1)[-1]
        if method == "parse":  # Rasa's /model/parse
            received[json.loads(body)["text"]] = now
            result: Any = {"intent": {"name": "x", "confidence": 1.0}, "entities": []}
            payload = json.dumps(result).encode()
        elif method == "sendMessage":
            # A form from PTB's own request class, JSON from the bot's (BotApiRequest).
            params = json.loads(body) if body[:1] == b"{" else dict(parse_qsl(body.decode()))
            received[params["text"]] = now
            chat = {"id": int(params["chat_id"]), "type": "private", "first_name": "u"}
            result = {"message_id": 1, "date": 0, "chat": chat, "text": params["text"]}
            payload = json.dumps({"ok": True, "result": result}).encode()
        else:
            payload = json.dumps({"ok": True, "result": ME}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def serve() -> None:
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.05)
        conn.send("ready")
        while await asyncio.to_thread(conn.recv) is not None:
            conn.send(dict(received))
            received.clear()
        server.should_exit = True
        await serving

    asyncio.run(serve())


def make_request(transport: str) -> BaseRequest:
    if transport == "httpx":
        return HTTPXRequest(connection_pool_size=512)
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return HTTPXRequest(
            httpx_kwargs={"transport": AiohttpTransport(limits=httpx.Limits(max_connections=512))}
        )
    from bot.channels.telegram import bot_api_request

    return bot_api_request(512)


class Requeues:
    """Counts httpcore's ConnectionNotAvailable (a request given a connection another took)."""

    def __init__(self) -> None:
        import httpcore
        import httpcore._async.http11 as http11

        self.count = 0
        self._http11 = http11
        self._original = http11.AsyncHTTP11Connection.handle_async_request
        original = self._original
        counter = self

        async def counted(connection: Any, request: Any) -> Any:
            try:
                return await original(connection, request)
            except httpcore.ConnectionNotAvailable:
                counter.count += 1
                raise

        http11.AsyncHTTP11Connection.handle_async_request = counted  # type: ignore[method-assign,assignment]

    def restore(self) -> None:
        self._http11.AsyncHTTP11Connection.handle_async_request = self._original  # type: ignore[method-assign]


async def one_round(
    transport: str, port: int, conn: Connection, args: argparse.Namespace, seed: int
) -> dict[str, float]:
    rng = random.Random(seed)
    requeues = Requeues()
    handed: dict[str, float] = {}
    returned: dict[str, float] = {}
    stop = asyncio.Event()

    async def noise() -> None:
        # Callbacks of ~1 ms of CPU at random moments: the loop busy args.busy of the time.
        while not stop.is_set():
            await asyncio.sleep(rng.expovariate(args.busy_hz))
            end = time.perf_counter() + 0.001
            while time.perf_counter() < end:
                pass

    try:
        async with contextlib.AsyncExitStack() as stack:
            base = f"http://127.0.0.1:{port}"
            if transport.startswith("rasa-"):
                # The NLU client's request: a JSON POST through a plain httpx client.
                if transport == "rasa-httpx":
                    rasa = httpx.AsyncClient(
                        base_url=base, limits=httpx.Limits(max_connections=256)
                    )
                else:
                    rasa = http.client(base, max_connections=256)
                await stack.enter_async_context(rasa)

                async def send(user: int, text: str) -> None:
                    response = await rasa.post("/model/parse", json={"text": text})
                    response.json()
            else:
                bot = await stack.enter_async_context(
                    Bot(FAKE_TOKEN, base_url=f"{base}/bot", request=make_request(transport))
                )

                async def send(user: int, text: str) -> None:
                    await bot.send_message(user, text)

            async def chat(user: int) -> None:
                await asyncio.sleep(rng.uniform(0, args.think[1]))
                for n in range(args.per_chat):
                    if n:
                        await asyncio.sleep(rng.uniform(*args.think))
                    text = f"{user}:{n}"
                    handed[text] = time.perf_counter()
                    await send(user, text)
                    returned[text] = time.perf_counter()

            noisy = asyncio.create_task(noise()) if args.busy_hz > 0 else None
            await asyncio.gather(*(chat(1000 + n) for n in range(args.warm_up_chats)))
            handed.clear()
            returned.clear()
            requeues.count = 0
            cpu = time.process_time()
            await asyncio.gather(*(chat(2000 + n) for n in range(args.chats)))
            cpu = time.process_time() - cpu
            stop.set()
            if noisy is not None:
                await noisy
    finally:
        requeues.restore()
    conn.send(True)
    received: dict[str, float] = await asyncio.to_thread(conn.recv)
    to_server = [(received[t] - handed[t]) * 1000 for t in handed if t in received]
    trip = [(returned[t] - handed[t]) * 1000 for t in handed]
    ordered = sorted(to_server)
    return {
        "sends": len(trip),
        "to_server_p50": statistics.median(to_server),
        "to_server_p95": ordered[int(0.95 * len(ordered))],
        "to_server_mean": statistics.fmean(to_server),
        "trip_p50": statistics.median(trip),
        "trip_p95": sorted(trip)[int(0.95 * len(trip))],
        "cpu_ms_per_send": cpu * 1000 / len(trip),
        "requeued": requeues.count,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.handover", description=__doc__)
    parser.add_argument(
        "--transport",
        nargs="+",
        choices=("httpx", "aiohttp", "bot", "rasa-httpx", "rasa-aiohttp"),
        default=["httpx", "bot"],
        help="sendMessage through PTB's default HTTPXRequest (httpx), httpx-aiohttp's own "
        "transport (aiohttp), the bot's bot_api_request (bot); or the NLU client's JSON POST "
        "through a plain httpx client (rasa-httpx) or bot.http.client (rasa-aiohttp)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--warm-up-chats", type=int, default=10)
    parser.add_argument("--per-chat", type=int, default=20)
    parser.add_argument("--think", type=float, nargs=2, default=[0.5, 1.5])
    parser.add_argument("--busy-hz", type=float, default=200.0, help="1 ms CPU bursts a second")
    args = parser.parse_args()
    port = free_port()
    here, there = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=_server, args=(there, port), daemon=True
    )
    server.start()
    try:
        assert await asyncio.to_thread(here.recv) == "ready"
        for n in range(args.rounds):
            for transport in args.transport:
                load = os.getloadavg()[0]
                figures = await one_round(transport, port, here, args, seed=n)
                shown = ", ".join(
                    f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in figures.items()
                )
                print(f"round {n + 1} {transport:8} load {load:.1f}: {shown}", flush=True)
    finally:
        here.send(None)
        await asyncio.to_thread(server.join, 10)


if __name__ == "__main__":
    asyncio.run(main())
