"""Load through the webhook endpoint: simulated users chatting at once with the real Rasa server.

Each simulated user sends a question, waits for the answer, "thinks" 0.5-1.5 s and asks the next
one, so N concurrent chats offer about N messages a second.

Everything but Rasa runs in this one process (the load client, the uvicorn webhook server, the
bot and the fake Bot API on an in-memory transport), so the bot's overhead includes sharing one
CPU core with the client. A reply's latency runs from the POST of the update to the moment the
fake Bot API receives the bot's sendMessage for that chat; Rasa's parse time for the same update
is recorded inside the bot, so overhead = latency - parse, per message.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from telegram.request import HTTPXRequest

from bot.app import open_services
from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.webhook import SECRET_HEADER, WebhookServer
from bot.core.ports import NLU, Parse
from bot.nlu.client import RasaNLU
from bot.nlu.server import rasa_server
from bot.settings import Settings
from bot.storage.inbound import SqlInbound
from tests.conftest import free_port
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
SECRET = "load-test-secret_0123456789"
THINK_S = (0.5, 1.5)
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


class TracingServer(WebhookServer):
    async def _handle(self, update_id: int, payload: dict[str, Any] | None) -> None:
        CURRENT_UPDATE.set(update_id)
        await super()._handle(update_id, payload)


def sentences() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "nlu" / "tests").glob("test_nlu_*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            for line in block.get("examples", "").splitlines():
                line = line.strip()
                if line.startswith("- ") and "(" not in line:
                    texts.append(line[2:])
    return texts


async def run_load(
    levels: tuple[int, ...], messages_per_chat: int, workdir: Path, database_url: str | None = None
) -> list[LoadResult]:
    settings = Settings(
        _env_file=None,
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'load.sqlite3'}",
        DATA_DIR=str(ROOT / "data"),
        FLOOD_MESSAGES=1000,
    )
    model = ROOT / "nlu" / "models" / "nlu.tar.gz"
    rasa_url = f"http://127.0.0.1:{free_port()}"
    texts = sentences()
    results = []
    async with (
        rasa_server(rasa_url, None, ROOT / ".venv-rasa", model, 300, workdir / "rasa.log") as token,
        httpx.AsyncClient(
            base_url=rasa_url, limits=httpx.Limits(max_connections=256)
        ) as rasa_client,
    ):
        nlu = TimedNLU(RasaNLU(rasa_client, token, timeout=10))
        async with open_services(settings, nlu) as services:
            api = FakeBotAPI()
            replied: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
            original = api.api_sendMessage

            async def send_message(params: dict[str, object]) -> dict[str, object]:
                answer = await original(params)
                replied[int(str(params["chat_id"]))].set()
                return answer

            api.api_sendMessage = send_message  # type: ignore[method-assign]
            channel = TelegramChannel(services.dialogue, services.catalog, services.metrics)
            application = build_application(
                FAKE_TOKEN,
                "http://bot-api.test/bot",
                channel,
                request=HTTPXRequest(
                    connection_pool_size=512, httpx_kwargs={"transport": api.transport()}
                ),
            )
            async with application:
                server = TracingServer(
                    application,
                    SqlInbound(services.sessions),
                    SECRET,
                    "/telegram",
                    services.metrics,
                    checks={},
                    workers=max(levels),
                )
                port = free_port()
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
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    limits=httpx.Limits(max_connections=max(levels) * 2, keepalive_expiry=60),
                    timeout=60,
                ) as client:
                    update_ids = iter(range(1, 10**9))
                    for chats in levels:
                        # Warm-up, then the measured run.
                        await one_run(
                            client, api, replied, nlu, texts, chats, 2, update_ids, 1_000_000
                        )
                        results.append(
                            await one_run(
                                client,
                                api,
                                replied,
                                nlu,
                                texts,
                                chats,
                                messages_per_chat,
                                update_ids,
                                2_000_000 + chats * 1000,
                            )
                        )
                uv.should_exit = True
                await serving
    return results


async def one_run(
    client: httpx.AsyncClient,
    api: FakeBotAPI,
    replied: dict[int, asyncio.Event],
    nlu: TimedNLU,
    texts: list[str],
    chats: int,
    per_chat: int,
    update_ids: object,
    first_user: int,
) -> LoadResult:
    rng = random.Random(chats)
    result = LoadResult(chats, chats * per_chat, 0.0)

    async def chat(user: int) -> None:
        # People read the answer and type the next question: about a second between messages
        # (a fast chatter), starting at random moments.
        await asyncio.sleep(rng.uniform(0, THINK_S[1]))
        for n in range(per_chat):
            if n:
                await asyncio.sleep(rng.uniform(*THINK_S))
            update_id = next(update_ids)  # type: ignore[call-overload]
            update = api.message_update(user, rng.choice(texts), "en")
            update["update_id"] = update_id
            replied[user].clear()
            started = time.perf_counter()
            response = await client.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
            assert response.status_code == 200
            result.post_ms.append((time.perf_counter() - started) * 1000)
            await asyncio.wait_for(replied[user].wait(), timeout=30)
            latency = time.perf_counter() - started
            result.latencies_ms.append(latency * 1000)
            parse = nlu.times.pop(update_id, None)
            if parse is not None:
                result.parse_ms.append(parse * 1000)
                result.overhead_ms.append((latency - parse) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(chat(first_user + n) for n in range(chats)))
    result.elapsed_s = time.perf_counter() - started
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
        "post_p50": percentile(result.post_ms, 0.50),
        "post_p95": percentile(result.post_ms, 0.95),
    }
