"""Where the time of one message goes in the bot: the load scenario of bench/load.py at 50 chats,
with timestamps around each step (store the update, the worker taking it, the dialogue, its first
reads, Rasa's parse, the answer's request to the Bot API, the fake Bot API noting it). Prints
the p50 and mean of each gap, on each backend asked for, and the bot process's CPU time per
message of the measured run (all its threads; Rasa and the load client are processes of their
own). The timestamps are added by wrapping those methods in this process only.

    PYTHONPATH=. .venv/bin/python -m bench.stages [--backend sqlite postgresql]
        [--messages-per-chat 10] [--reference-sets]

The first reads are `PgFirstReads.read` on PostgreSQL (the flood count, the user and the
pending question in one statement) and the user's touch on SQLite (the flood count and the
pending question beside it, on the loop's thread).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import load
from bench.delivery import Database
from bench.load import CURRENT_UPDATE, TimedNLU, run_load, summary
from bot.channels import telegram as telegram_channel
from bot.channels.webhook import WebhookServer
from bot.dialogue.router import Dialogue
from bot.storage.first_reads import PgFirstReads
from bot.storage.inbound import SqlInbound
from bot.storage.users import SqlUsers

ORDER = (
    ("store0", "storing the update (PostgreSQL free text: until its reads are back)"),
    ("store1", "until a worker takes it"),
    ("handle0", "parsing the update, python-telegram-bot's dispatch"),
    ("dlg0", "dialogue: up to the first reads"),
    ("reads0", "the first reads (flood count, user, pending question)"),
    ("reads1", "dialogue: the screening, up to the NLU call"),
    ("nlu0", "Rasa's parse (not overhead)"),
    ("nlu1", "dialogue: the answer"),
    ("dlg1", "rendering, up to the Bot API request"),
    ("req0", "the hand-over, until the fake Bot API notes it"),
    ("answered", ""),
)
marks: dict[int, dict[str, float]] = defaultdict(dict)
# The bot process's CPU seconds and the messages of each run of the load client, in order
# (the warm-up, then the measured run).
runs: list[tuple[float, list[Any]]] = []


def _wrap(owner: type, name: str, before: str, after: str, key: Callable[..., Any]) -> None:
    original = getattr(owner, name)

    async def timed(self: object, *args: Any, **kwargs: Any) -> Any:
        update = key(args)
        if update is not None:
            marks[update].setdefault(before, time.perf_counter())
        try:
            return await original(self, *args, **kwargs)
        finally:
            if update is not None:
                marks[update].setdefault(after, time.perf_counter())

    setattr(owner, name, timed)


def _note_commit() -> None:
    """When each update's commit is done (on PostgreSQL's free-text path, after its reads)."""
    original = SqlInbound.store_before_commit

    async def noted(self: SqlInbound, update_id: int, *args: Any, **kwargs: Any) -> Any:
        committed = await original(self, update_id, *args, **kwargs)
        if isinstance(committed, asyncio.Future):
            committed.add_done_callback(
                lambda _done: marks[update_id].setdefault("stored", time.perf_counter())
            )
        return committed

    setattr(SqlInbound, "store_before_commit", noted)  # noqa: B010 - as _wrap does


def instrument() -> None:
    current = lambda _args: CURRENT_UPDATE.get()  # noqa: E731 - a key like the others
    _wrap(SqlInbound, "store_before_commit", "store0", "store1", lambda args: args[0])
    _note_commit()
    gate = getattr(telegram_channel, "until_stored")  # noqa: B009 - the channel's own name

    async def gate_timed() -> None:
        update = CURRENT_UPDATE.get()
        if update is not None:
            marks[update].setdefault("gate0", time.perf_counter())
        await gate()
        if update is not None:
            marks[update].setdefault("gate1", time.perf_counter())

    setattr(telegram_channel, "until_stored", gate_timed)  # noqa: B010 - as _wrap does
    _wrap(WebhookServer, "_handle", "handle0", "handle1", lambda args: args[0])
    _wrap(Dialogue, "respond", "dlg0", "dlg1", current)
    _wrap(PgFirstReads, "read", "reads0", "reads1", current)
    _wrap(SqlUsers, "touch", "reads0", "reads1", current)
    _wrap(TimedNLU, "parse", "nlu0", "nlu1", current)
    _wrap(telegram_channel.BotApiRequest, "do_request", "req0", "req1", current)
    run_client = load.run_client

    async def counted(conn: Any, run: Any) -> tuple[list[Any], float]:
        cpu = time.process_time()
        done = await run_client(conn, run)
        runs.append((time.process_time() - cpu, done[0]))
        return done

    load.run_client = counted


def report(console: Console, backend: str, result: load.LoadResult) -> None:
    cpu, messages = runs[-1]
    for message in messages:
        marks[message.update_id]["answered"] = message.answered
    measured = summary(result)
    console.print(
        f"{backend}, 50 chats, {result.messages} messages: in the bot p50 "
        f"{measured['in_bot_p50']:.2f} ms, to_request p50 {measured['to_request_p50']:.2f} ms, "
        f"reply p95 {measured['p95']:.1f} ms; the bot's CPU {1000 * cpu / len(messages):.2f} ms "
        f"per message; load average {os.getloadavg()}"
    )
    table = Table(title=f"One message, step by step (ms), {backend}")
    for column in ("from", "to", "what", "p50", "mean"):
        table.add_column(column, justify="right" if column in ("p50", "mean") else "left")
    names = [name for name, _ in ORDER]
    counted = {message.update_id for message in messages}
    complete = [
        m for update, m in marks.items() if update in counted and all(n in m for n in names)
    ]
    for (start, what), (end, _) in itertools.pairwise(ORDER):
        gaps = [(m[end] - m[start]) * 1000 for m in complete]
        table.add_row(
            start, end, what, f"{statistics.median(gaps):.2f}", f"{statistics.mean(gaps):.2f}"
        )
    console.print(table)
    console.print(f"({len(complete)} of {len(messages)} messages went through every step)")
    # Beside the path: the commit after the reads were back (PostgreSQL's free text: the
    # handling runs meanwhile), and how long the reply then waited for it.
    for start, end, what in (
        ("store1", "stored", "the commit, after the reads were back"),
        ("gate0", "gate1", "the reply's wait for the commit"),
    ):
        gaps = [(m[end] - m[start]) * 1000 for m in complete if start in m and end in m]
        if gaps:
            console.print(
                f"{what}: p50 {statistics.median(gaps):.2f} ms, mean "
                f"{statistics.mean(gaps):.2f} ms ({len(gaps)} messages)"
            )
    marks.clear()


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__)
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), nargs="+", default=["sqlite"]
    )
    parser.add_argument("--messages-per-chat", type=int, default=10)
    parser.add_argument("--reference-sets", action="store_true")
    args = parser.parse_args()
    instrument()
    console = Console(width=160)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backend:
            database = Database(backend, Path(tmp))
            try:
                (result,) = await run_load(
                    (50,), args.messages_per_chat, Path(tmp), database.url, args.reference_sets
                )
            finally:
                database.drop()
            report(console, backend, result)


if __name__ == "__main__":  # the load client re-imports bench modules in its own process
    asyncio.run(main())
