"""The bot's own work for one message, one message at a time (issue 14): each update stored as
the webhook stores it, then handled by the worker's path (python-telegram-bot's dispatch, the
dialogue with its screening, the reply sent to a Bot API that answers at once), on SQLite or
PostgreSQL. The NLU is a fake that answers at once with the intent the held-out test sets give
each sentence, so nothing waits: the figures are the bot's CPU time (all threads) per message,
which the machine's load disturbs far less than the wall time of bench.load.

    PYTHONPATH=. .venv/bin/python -m bench.message_path [--backend sqlite postgresql]
        [--messages 1000] [--all-sets] [--profile FILE]

--profile writes a cProfile of the counted messages (CPU time, not wall time) to FILE.

Instruction counts (load-independent): run it under valgrind with the counting switched on
for the counted messages only. ECSM_CALLGRIND_LIB names a shared library with two functions,
built from
    #include <valgrind/callgrind.h>
    void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION;
                          CALLGRIND_TOGGLE_COLLECT; }
    void cg_stop(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS_AT("measured");
                         CALLGRIND_STOP_INSTRUMENTATION; }
(gcc -O2 -shared -fPIC), and valgrind is started with --tool=callgrind --instr-atstart=no
--collect-atstart=no; the "totals" line of the dump divided by --messages is instructions per
message.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ctypes
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.delivery import Database
from bot.bootstrap import bootstrap
from bot.channels.telegram import BotApiRequest, TelegramChannel, build_application
from bot.channels.webhook import WebhookServer
from bot.core.ports import IntentScore, Parse
from bot.settings import Settings
from bot.storage.inbound import SqlInbound
from tests.fakes.bot_api import FAKE_TOKEN

ROOT = Path(__file__).resolve().parent.parent
# The sets bench.load drew its sentences from when the reference figures were measured (e37a2eb).
FIRST_SETS = ("test_nlu_en.yml", "test_nlu_bg.yml", "test_nlu_bg_latn.yml")
USERS = 50
WARM_UP = 200


def labelled_sentences(all_sets: bool) -> dict[str, str]:
    """Sentence -> intent, from the NLU's held-out test sets (as bench.load reads them)."""
    table: dict[str, str] = {}
    for path in sorted((ROOT / "nlu" / "tests").glob("test_nlu_*.yml")):
        if not all_sets and path.name not in FIRST_SETS:
            continue
        for block in yaml.safe_load(path.read_text())["nlu"]:
            for line in block.get("examples", "").splitlines():
                line = line.strip()
                if line.startswith("- ") and "(" not in line:
                    table[line[2:]] = block["intent"]
    return table


class LabelledNLU:
    """Answers at once with the sentence's intent from the test sets."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    async def parse(self, text: str) -> Parse:
        intent = self.table.get(text, "out_of_scope")
        return Parse(ranking=(IntentScore(intent, 0.9), IntentScore("greet", 0.05)))


def bot_api(request: httpx.Request) -> httpx.Response:
    """Every Bot API call succeeds at once (no checking: its cost is not the bot's)."""
    if request.url.path.endswith("/getMe"):
        result: dict[str, Any] = {"id": 1, "is_bot": True, "first_name": "b", "username": "b"}
    else:
        result = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "-"}
    return httpx.Response(200, json={"ok": True, "result": result})


def message(update_id: int, user: int, text: str) -> dict[str, Any]:
    person = {"id": user, "is_bot": False, "first_name": "u", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "u"},
            "from": person,
            "text": text,
        },
    }


async def measure(
    url: str, count: int, table: dict[str, str], profile: str | None
) -> tuple[float, float]:
    """CPU and wall seconds of `count` messages after the warm-up."""
    texts = list(table)
    settings = Settings(
        _env_file=None, DATABASE_URL=url, DATA_DIR=str(ROOT / "data"), FLOOD_MESSAGES=1000
    )
    counter = os.environ.get("ECSM_CALLGRIND_LIB")
    callgrind = ctypes.CDLL(counter) if counter else None
    async with bootstrap(settings, nlu=LabelledNLU(table)) as services:
        channel = TelegramChannel(services.dialogue, services.catalog, services.metrics)
        # The bot's own request class (bot_api_request's), with the Bot API in the process.
        request = BotApiRequest(httpx_kwargs={"transport": httpx.MockTransport(bot_api)})
        application = build_application(FAKE_TOKEN, "http://bot-api/bot", channel, request)
        async with application:
            server = WebhookServer(
                application,
                SqlInbound(services.sessions, services.dialogue.first_reads),
                "-",
                "/",
                services.metrics,
                {},
                sender_of=channel.free_text_sender,
            )

            async def one(n: int) -> None:
                update_id = n + 1
                payload = message(update_id, 1000 + n % USERS, texts[(n * 7919) % len(texts)])
                # As the webhook stores it, and what a worker does with it meanwhile (on
                # PostgreSQL the handling runs while the store's commit is flushed).
                received, committed = await server.keep(update_id, payload)
                await asyncio.gather(committed, server._handle(update_id, received))
                if update_id % 20 == 0:  # the batched delete of handled updates
                    await server.forget_handled()

            for n in range(WARM_UP):  # every user known, every statement built
                await one(n)
            profiler = cProfile.Profile(time.process_time) if profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            if callgrind is not None:
                callgrind.cg_start()
            for n in range(WARM_UP, WARM_UP + count):
                await one(n)
            if callgrind is not None:
                callgrind.cg_stop()
            if profiler is not None and profile:
                profiler.disable()
                profiler.dump_stats(profile)
            return time.process_time() - cpu, time.perf_counter() - wall


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.message_path", description=__doc__)
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), nargs="+", default=["sqlite"]
    )
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--all-sets", action="store_true", help="every nlu/tests set")
    parser.add_argument("--profile", help="write a cProfile of the counted messages here")
    args = parser.parse_args()
    table = labelled_sentences(args.all_sets)
    for backend in args.backend:
        with tempfile.TemporaryDirectory() as tmp:
            database = Database(backend, Path(tmp))
            try:
                cpu, wall = await measure(database.url, args.messages, table, args.profile)
            finally:
                database.drop()
        print(
            f"{backend}: {args.messages} messages of {len(table)} sentences, "
            f"CPU {1000 * cpu / args.messages:.3f} ms per message, "
            f"wall {1000 * wall / args.messages:.3f} ms; load average {os.getloadavg()}"
        )


if __name__ == "__main__":
    asyncio.run(main())
