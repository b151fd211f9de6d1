"""Two real bot processes (`ecsm-bot run` in webhook mode) serving one bot on PostgreSQL, with
the real Rasa server and the fake Bot API served over HTTP: one conversation alternating between
them, an announcement sent by both (nobody twice, the total rate within the cap), and one of them
killed in the middle of it (the other finishes)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn
from sqlalchemy import insert, select

from bot.content.catalog import Catalog
from bot.core.ports import Audience
from bot.storage.broadcasts import SqlBroadcasts
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.schema import OutboxItem, User
from tests.auxil.environment import ROOT, RasaInfo, free_port
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI, asgi_app

pytestmark = [pytest.mark.rasa, pytest.mark.postgres]
SECRET = "two-processes-secret_0123456789"
USER = 31337

STARTUP_GUARD = 180.0  # seconds: a hang, below pytest-timeout's 300 for the whole test


class BotProcess:
    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {
            **env,
            "WEBHOOK_PORT": str(self.port),
            "WEBHOOK_URL": f"http://127.0.0.1:{self.port}",
        }
        self.env["DATABASE_URL"] = env["DATABASE_URL"] + f"?application_name=bot-{name}"
        # Replicas on one host each serve the dashboard on a port of their own, unless a test
        # gives them one to share.
        self.env.setdefault("DASHBOARD_PORT", str(free_port()))
        self.log = workdir / f"bot-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "ecsm-bot"), "run"],
                env=self.env,
                cwd=self.log.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self) -> None:
        # Waits as long as the process lives (600 tries of 0.1 s were not enough for two bots
        # starting at once on a loaded 2-core machine); STARTUP_GUARD only stops a hang.
        deadline = time.monotonic() + STARTUP_GUARD
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.process is not None and self.process.poll() is None, (
                    self.log.read_text()
                )
                with contextlib.suppress(httpx.HTTPError):
                    if (
                        await client.get(f"http://127.0.0.1:{self.port}/healthz")
                    ).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"bot {self.name} did not start: {self.log.read_text()[-2000:]}")

    async def post(self, update: dict[str, object]) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://127.0.0.1:{self.port}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert response.status_code == 200

    async def delivered(self) -> int:
        """Messages this process sent, from its Prometheus metrics."""
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"http://127.0.0.1:{self.port}/metrics")).text
        return sum(
            int(float(line.rsplit(" ", 1)[1]))
            for line in text.splitlines()
            if line.startswith('ecsm_deliveries_total{status="sent"}')
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def database(new_postgres_database: str) -> str:
    migrate(new_postgres_database)
    return new_postgres_database


@contextlib.asynccontextmanager
async def two_bots(
    tmp_path: Path,
    rasa: RasaInfo,
    database: str,
    api: FakeBotAPI,
    flood_messages: int = 1000,
    shared: dict[str, str] | None = None,
) -> AsyncIterator[tuple[BotProcess, BotProcess]]:
    api_port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(asgi_app(api), host="127.0.0.1", port=api_port, log_level="error")
    )
    serving = asyncio.create_task(server.serve())
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
        "TELEGRAM_MODE": "webhook",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "DATABASE_URL": database,
        "RASA_URL": rasa.url,
        "RASA_TOKEN": rasa.token,
        "DATA_DIR": str(ROOT / "data"),
        "NLU_DIR": str(ROOT / "nlu"),
        "RASA_VENV": str(ROOT / ".venv-rasa"),
        "DELIVERY_TICK_SECONDS": "1",
        "DELIVERY_LEASE_SECONDS": "5",
        "FLOOD_MESSAGES": str(flood_messages),
        "FLOOD_WINDOW_SECONDS": "120",
        "LOG_FORMAT": "json",
        **(shared or {}),
    }
    bots = (BotProcess("a", env, tmp_path), BotProcess("b", env, tmp_path))
    try:
        for bot in bots:
            bot.start()
        await asyncio.gather(*(bot.ready() for bot in bots))
        yield bots
    finally:
        for bot in bots:
            bot.stop()
        server.should_exit = True
        await serving


async def wait_for(check: Callable[[], Awaitable[bool]], seconds: float) -> None:
    """Poll state that other processes change (the database, the fake API's records)."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - no event crosses process boundaries
            await asyncio.sleep(0.2)


async def test_one_conversation_alternating_between_two_processes(
    tmp_path: Path, rasa: RasaInfo, database: str
) -> None:
    api = FakeBotAPI()
    async with two_bots(tmp_path, rasa, database, api) as (a, b):
        steps = [
            (a, api.message_update(USER, "/subscribe", "bg")),
            (b, api.callback_update(USER, "sa:business:x", "bg")),
            (a, api.callback_update(USER, "st:business:1080", "bg")),
        ]
        for bot, update in steps:
            before = len(api.messages_to(USER))
            await bot.post(update)

            async def answered(before: int = before) -> bool:
                return len(api.messages_to(USER)) > before

            await wait_for(answered, 20)
        keep = next(
            b["callback_data"]
            for b in api.messages_to(USER)[-1].buttons
            if b["callback_data"].startswith("sz:")
        )
        # One step at a time, as a person answers what they see: two updates in flight at once,
        # in two processes, may be answered in either order.
        for bot, update, answers in (
            (b, api.callback_update(USER, keep, "bg"), 4),
            (a, api.message_update(USER, "какво е фишинг", "bg"), 5),
        ):
            await bot.post(update)

            async def done(answers: int = answers) -> bool:
                return len(api.messages_to(USER)) >= answers

            await wait_for(done, 20)
    texts = [s.text or "" for s in api.messages_to(USER)]
    assert "18:00" in texts[3]  # the subscription, confirmed by the other process
    assert "Фишинг" in texts[4] or "фишинг" in texts[4].lower()
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "select audience, send_minute from subscriptions where user_id = %s", (USER,)
        ).fetchone()
    assert row == ("business", 1080)


async def test_a_flood_spread_over_two_processes_is_cut_once(
    tmp_path: Path, rasa: RasaInfo, database: str, catalog: Catalog
) -> None:
    api = FakeBotAPI()
    notice = catalog.strings["en"]["error.flood"]
    async with two_bots(tmp_path, rasa, database, api, flood_messages=5) as (a, b):
        for n in range(12):
            await (a, b)[n % 2].post(api.message_update(USER, "/help"))

        async def all_handled() -> bool:
            sent = api.messages_to(USER)
            return any(s.text == notice for s in sent) and len(sent) >= 2 * 5 + 1

        await wait_for(all_handled, 20)
        await asyncio.sleep(1)  # anything more would have arrived by now
    texts = [s.text for s in api.messages_to(USER)]
    assert texts.count(notice) == 1
    # /help answers with its text and the menu: five times, then nothing more.
    assert len(texts) == 2 * 5 + 1


async def announce(database: str, users: int) -> int:
    engine = make_engine(database)
    try:
        now = dt.datetime.now(dt.UTC)
        async with engine.begin() as conn:
            await conn.execute(
                insert(User),
                [
                    {"id": 100_000 + u, "language": "bg", "first_seen": now, "last_seen": now}
                    for u in range(users)
                ],
            )
        record = await SqlBroadcasts(make_sessions(engine)).create(
            1, {"text": "Уебинар в четвъртък", "buttons": []}, Audience(), now, now
        )
        return record.id
    finally:
        await engine.dispose()


async def statuses(database: str, broadcast: int) -> Counter[str]:
    engine = make_engine(database)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(OutboxItem.status).where(OutboxItem.ref == f"ann:{broadcast}")
            )
            return Counter(str(s) for (s,) in rows)
    finally:
        await engine.dispose()


async def settled(database: str, broadcast: int, users: int) -> bool:
    """Fanned out to everyone, and nothing of it waiting or on its way any more."""
    counts = await statuses(database, broadcast)
    return sum(counts.values()) == users and not counts.keys() & {"pending", "claimed", "sending"}


async def test_a_broadcast_by_two_processes_nobody_twice_rate_within_the_cap(
    tmp_path: Path, rasa: RasaInfo, database: str
) -> None:
    api = FakeBotAPI(enforce_rate_limits=True, global_per_second=30)
    async with two_bots(tmp_path, rasa, database, api) as bots:
        broadcast = await announce(database, 150)

        started = asyncio.get_running_loop().time()
        await wait_for(lambda: settled(database, broadcast, 150), 60)
        elapsed = asyncio.get_running_loop().time() - started
        sent_by: list[int] = []

        async def counted() -> bool:
            sent_by[:] = [await bot.delivered() for bot in bots]
            return sum(sent_by) == 150

        await wait_for(counted, 10)
    # Both processes sent part of it, on the shared grid of slots in PostgreSQL.
    assert all(n > 0 for n in sent_by), sent_by
    per_chat = Counter(s.chat_id for s in api.sent if s.text == "Уебинар в четвъртък")
    assert len(per_chat) == 150 and set(per_chat.values()) == {1}
    # The fake answers 429 to anything over 30 in a second: none means the cap held in total.
    assert [r for r in api.refusals if r[1] == 429] == []
    assert elapsed >= 150 / 30 - 1


async def test_the_other_process_finishes_when_one_is_killed_mid_broadcast(
    tmp_path: Path, rasa: RasaInfo, database: str
) -> None:
    api = FakeBotAPI(enforce_rate_limits=True, global_per_second=30)
    async with two_bots(tmp_path, rasa, database, api) as bots:
        broadcast = await announce(database, 300)

        async def under_way() -> bool:
            return len(api.sent) >= 60

        await wait_for(under_way, 30)
        # Both send (on the shared grid); one of them dies with items claimed and in flight.
        bots[0].kill()

        await wait_for(lambda: settled(database, broadcast, 300), 90)
        counts = await statuses(database, broadcast)
    per_chat = Counter(s.chat_id for s in api.sent if s.text == "Уебинар в четвъртък")
    assert max(per_chat.values()) == 1  # nobody twice
    # Everything was delivered, except what the killed process had handed to Telegram without
    # recording it: that is "uncertain", never resent.
    assert counts["sent"] + counts["uncertain"] == 300
    # At most the two waves the engine has out, half a second of sending each at 30/s.
    assert counts["uncertain"] <= 30
    assert len(per_chat) >= counts["sent"]


async def test_a_dashboard_port_already_taken_leaves_the_bot_running(
    tmp_path: Path, rasa: RasaInfo, database: str
) -> None:
    """Two processes told to share one dashboard port: one serves it, the other says once why it
    cannot and goes on answering chats."""
    port = free_port()
    async with two_bots(
        tmp_path, rasa, database, FakeBotAPI(), shared={"DASHBOARD_PORT": str(port)}
    ) as bots:
        for bot in bots:
            assert bot.process is not None and bot.process.poll() is None
        logs = [bot.log.read_text() for bot in bots]
        refused = [log for log in logs if "the dashboard could not start" in log]
        assert len(refused) == 1
        assert refused[0].count("the dashboard could not start") == 1
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/login")).status_code == 200
