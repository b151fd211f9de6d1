"""Load through the webhook endpoint: simulated users chatting at once with the real Rasa server.

Each simulated user sends a question, waits for the answer, "thinks" 0.5-1.5 s and asks the next
one, so N concurrent chats offer about N messages a second.

The bot (the uvicorn webhook server and the bot) runs in this process, Rasa in its own, and the
simulated users with the fake Bot API, served over HTTP, in a third (bench/load_client.py). A
reply's latency runs from the POST of the update to the moment the fake Bot API receives the
bot's sendMessage for that chat; Rasa's parse time for the same update is recorded inside the
bot, so overhead = latency - parse, per message. That overhead includes the load client's own
HTTP work; the bot's share ("in the bot") runs from the webhook receiving the POST to the fake
Bot API noting the bot's first sendMessage for the update, minus the parse.
"to_request" ends earlier, when the bot hands its first sendMessage to the HTTP client: the bot's
own share alone, without httpx's work, the kernel's and the fake Bot API's (the load client's
process reading the request before it notes the time): "in the bot" minus "to_request" is that.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import multiprocessing
import os
import statistics
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from starlette.requests import Request
from starlette.responses import Response
from telegram import Update

from bench import load_client
from bot import http
from bot.app import settle_heap
from bot.bootstrap import bootstrap
from bot.channels.telegram import BotApiRequest, TelegramChannel, build_application
from bot.channels.webhook import WebhookServer
from bot.core.ports import NLU, Parse
from bot.nlu.client import RasaNLU
from bot.nlu.server import rasa_server
from bot.settings import Settings
from bot.storage.inbound import SqlInbound
from tests.auxil.environment import free_port
from tests.fakes.bot_api import FAKE_TOKEN

ROOT = Path(__file__).resolve().parent.parent
SECRET = "load-test-secret_0123456789"
CURRENT_UPDATE: contextvars.ContextVar[int | None] = contextvars.ContextVar("update", default=None)


@dataclass
class LoadResult:
    chats: int
    messages: int
    elapsed_s: float
    latencies_ms: list[float] = field(default_factory=list)
    parse_ms: list[float] = field(default_factory=list)
    overhead_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)  # until the webhook's 200
    in_bot_ms: list[float] = field(default_factory=list)  # received -> answer sent, - parse
    # received -> the answer handed to the HTTP client, - parse: the bot's share alone, without
    # the HTTP library's work, the kernel's and the fake Bot API's (in the load client's process)
    to_request_ms: list[float] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.messages / self.elapsed_s


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class TimedNLU:
    """Records Rasa's parse time per update (the webhook worker sets the update id)."""

    def __init__(self, nlu: NLU) -> None:
        self.nlu = nlu
        self.times: dict[int, float] = {}

    async def parse(self, text: str) -> Parse:
        started = time.perf_counter()
        try:
            return await self.nlu.parse(text)
        finally:
            update = CURRENT_UPDATE.get()
            if update is not None:
                self.times[update] = time.perf_counter() - started


class TracingRequest(BotApiRequest):
    """Notes when the bot hands each update's first sendMessage to the HTTP client."""

    def __init__(self, connection_pool_size: int) -> None:
        # The bot's own request class and transport, as bot_api_request gives them.
        super().__init__(
            connection_pool_size=connection_pool_size,
            httpx_kwargs=http.httpx_kwargs(connection_pool_size),
        )
        self.handed: dict[int, float] = {}

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        update = CURRENT_UPDATE.get()
        if update is not None and url.endswith("/sendMessage"):
            self.handed.setdefault(update, time.perf_counter())
        return await super().do_request(url, method, *args, **kwargs)


class TracingServer(WebhookServer):
    """Notes when each update reaches the webhook, and which update a worker handles."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrived: dict[int, float] = {}

    async def receive(self, request: Request) -> Response:
        arrived = time.perf_counter()
        with contextlib.suppress(ValueError, KeyError, TypeError):
            self.arrived[int(json.loads(await request.body())["update_id"])] = arrived
        return await super().receive(request)

    async def _handle(self, update_id: int, payload: dict[str, Any] | Update | None) -> None:
        CURRENT_UPDATE.set(update_id)
        await super()._handle(update_id, payload)


# The held-out sets the load test drew from when the reference figures were measured
# (e37a2eb: 3.9 / 10.4 ms in the bot); the sets added since hold longer messages.
REFERENCE_SETS = ("test_nlu_en.yml", "test_nlu_bg.yml", "test_nlu_bg_latn.yml")


def sentences(reference_only: bool = False) -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "nlu" / "tests").glob("test_nlu_*.yml")):
        if reference_only and path.name not in REFERENCE_SETS:
            continue
        for block in yaml.safe_load(path.read_text())["nlu"]:
            for line in block.get("examples", "").splitlines():
                line = line.strip()
                if line.startswith("- ") and "(" not in line:
                    texts.append(line[2:])
    return texts


async def run_load(
    levels: tuple[int, ...],
    messages_per_chat: int,
    workdir: Path,
    database_url: str | None = None,
    reference_only: bool = False,
) -> list[LoadResult]:
    settings = Settings(
        _env_file=None,
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'load.sqlite3'}",
        DATA_DIR=str(ROOT / "data"),
        FLOOD_MESSAGES=1000,
    )
    model = ROOT / "nlu" / "models" / "nlu.tar.gz"
    rasa_url = f"http://127.0.0.1:{free_port()}"
    api_port, port = free_port(), free_port()
    # The client in a process of its own ("spawn": nothing of this process's threads or loop).
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    client = context.Process(
        target=load_client.main,
        args=(there, api_port, f"http://127.0.0.1:{port}", SECRET, sentences(reference_only)),
        daemon=True,
    )
    client.start()
    results = []
    try:
        assert await asyncio.to_thread(here.recv) == "ready"
        async with (
            rasa_server(
                rasa_url, None, ROOT / ".venv-rasa", model, 300, workdir / "rasa.log"
            ) as token,
            http.client(rasa_url, max_connections=256) as rasa_client,
        ):
            nlu = TimedNLU(RasaNLU(rasa_client, token, timeout=10))
            async with bootstrap(settings, nlu=nlu) as services:
                channel = TelegramChannel(services.dialogue, services.catalog, services.metrics)
                application = build_application(
                    FAKE_TOKEN,
                    f"http://127.0.0.1:{api_port}/bot",
                    channel,
                    request=(request := TracingRequest(512)),
                )
                async with application:
                    server = TracingServer(
                        application,
                        SqlInbound(services.sessions, services.dialogue.first_reads),
                        SECRET,
                        "/telegram",
                        services.metrics,
                        checks={},
                        workers=max(levels),
                        sender_of=channel.free_text_sender,
                    )
                    uv = uvicorn.Server(
                        uvicorn.Config(
                            server.app(),
                            host="127.0.0.1",
                            port=port,
                            log_level="error",
                            access_log=False,
                            timeout_keep_alive=120,
                            backlog=4096,
                        )
                    )
                    serving = asyncio.create_task(uv.serve())
                    while not uv.started:  # noqa: ASYNC110 - uvicorn offers no event
                        await asyncio.sleep(0.05)
                    settle_heap()  # as `ecsm-bot run` does once started
                    for n, chats in enumerate(levels):
                        first = 1_000_000 * (2 * n + 1)
                        # Warm-up, then the measured run.
                        await run_client(here, load_client.Run(chats, 2, first, first))
                        first += 1_000_000
                        done, elapsed = await run_client(
                            here, load_client.Run(chats, messages_per_chat, first, first)
                        )
                        results.append(measure(chats, done, elapsed, server, nlu, request))
                    uv.should_exit = True
                    await serving
    finally:
        here.send(None)
        await asyncio.to_thread(client.join, 30)
    return results


async def run_client(
    conn: Connection, run: load_client.Run
) -> tuple[list[load_client.Message], float]:
    conn.send(run)
    done: tuple[list[load_client.Message], float] = await asyncio.to_thread(conn.recv)
    return done


def measure(
    chats: int,
    messages: list[load_client.Message],
    elapsed: float,
    server: TracingServer,
    nlu: TimedNLU,
    request: TracingRequest | None = None,
) -> LoadResult:
    result = LoadResult(chats, len(messages), elapsed)
    for message in messages:
        latency = message.answered - message.posted
        result.latencies_ms.append(latency * 1000)
        result.post_ms.append((message.acknowledged - message.posted) * 1000)
        parse = nlu.times.pop(message.update_id, None)
        arrived = server.arrived.pop(message.update_id, None)
        handed = request.handed.pop(message.update_id, None) if request is not None else None
        if parse is not None:
            result.parse_ms.append(parse * 1000)
            result.overhead_ms.append((latency - parse) * 1000)
            if arrived is not None:
                result.in_bot_ms.append((message.answered - arrived - parse) * 1000)
                if handed is not None:
                    result.to_request_ms.append((handed - arrived - parse) * 1000)
    return result


def summary(result: LoadResult) -> dict[str, float]:
    return {
        "p50": percentile(result.latencies_ms, 0.50),
        "p95": percentile(result.latencies_ms, 0.95),
        "p99": percentile(result.latencies_ms, 0.99),
        "parse_p50": percentile(result.parse_ms, 0.50),
        "parse_p95": percentile(result.parse_ms, 0.95),
        "overhead_p50": statistics.median(result.overhead_ms) if result.overhead_ms else 0.0,
        "overhead_p95": percentile(result.overhead_ms, 0.95),
        "in_bot_p50": percentile(result.in_bot_ms, 0.50),
        "in_bot_p95": percentile(result.in_bot_ms, 0.95),
        "to_request_p50": percentile(result.to_request_ms, 0.50),
        "to_request_p95": percentile(result.to_request_ms, 0.95),
        "post_p50": percentile(result.post_ms, 0.50),
        "post_p95": percentile(result.post_ms, 0.95),
    }


async def main() -> None:
    """`python -m bench.load`: the load test alone, at the levels and on the backends asked for
    (the figures of docs/benchmarks.md: `--chats 50`)."""
    import argparse
    import platform
    import tempfile

    from bench.delivery import Database

    parser = argparse.ArgumentParser(prog="python -m bench.load", description=main.__doc__)
    parser.add_argument("--chats", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--messages-per-chat", type=int, default=20)
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), nargs="+", default=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--reference-sets",
        action="store_true",
        help="only the sentences of " + ", ".join(REFERENCE_SETS) + " (as at e37a2eb)",
    )
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}; ms; load average {os.getloadavg()}; "
        f"{len(sentences(args.reference_sets))} sentences"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backend:
            database = Database(backend, Path(tmp))
            try:
                loads = await run_load(
                    tuple(args.chats),
                    args.messages_per_chat,
                    Path(tmp),
                    database.url,
                    args.reference_sets,
                )
            finally:
                database.drop()
            for load in loads:
                figures = ", ".join(f"{k} {v:.1f}" for k, v in summary(load).items())
                print(
                    f"{backend} chats {load.chats} messages {load.messages} "
                    f"msgs/s {load.throughput:.0f}: {figures}"
                )
    print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":  # the load client re-imports this module in its own process
    asyncio.run(main())
