"""Where the time of one message goes in the bot: the load scenario of bench/load.py at 50 chats,
with timestamps around each step (store the update, the worker taking it, the dialogue, the
user read, Rasa's parse, the answer's request to the Bot API). Prints the p50 and mean of each
gap. The timestamps are added by wrapping those methods in this process only.

    PYTHONPATH=. .venv/bin/python -m bench.stages [messages per chat]
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from telegram.request import HTTPXRequest

from bench.load import CURRENT_UPDATE, TimedNLU, run_load, summary
from bot.channels.webhook import WebhookServer
from bot.dialogue.router import Dialogue
from bot.storage.inbound import SqlInbound
from bot.storage.users import SqlUsers

ORDER = (
    ("store0", "storing the update before the 200"),
    ("store1", "until a worker takes it"),
    ("handle0", "parsing the update, python-telegram-bot's dispatch"),
    ("dlg0", "dialogue: flood control"),
    ("user0", "reading the user (and the pending question, at once)"),
    ("user1", "dialogue: up to the NLU call"),
    ("nlu0", "Rasa's parse (not overhead)"),
    ("nlu1", "dialogue: the answer"),
    ("dlg1", "rendering, up to the Bot API request"),
    ("req0", "the request, until the Bot API has answered"),
    ("req1", "after the answer"),
    ("handle1", ""),
)
marks: dict[int, dict[str, float]] = defaultdict(dict)


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


def instrument() -> None:
    current = lambda _args: CURRENT_UPDATE.get()  # noqa: E731 - a key like the others
    _wrap(SqlInbound, "store", "store0", "store1", lambda args: args[0])
    _wrap(WebhookServer, "_handle", "handle0", "handle1", lambda args: args[0])
    _wrap(Dialogue, "handle", "dlg0", "dlg1", current)
    _wrap(SqlUsers, "get", "user0", "user1", current)
    _wrap(TimedNLU, "parse", "nlu0", "nlu1", current)
    _wrap(HTTPXRequest, "do_request", "req0", "req1", current)


def main() -> None:
    per_chat = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    instrument()
    with tempfile.TemporaryDirectory() as tmp:
        (result,) = asyncio.run(run_load((50,), per_chat, Path(tmp)))
    measured = summary(result)
    console = Console(width=160)
    console.print(
        f"50 chats, {result.messages} messages: in the bot p50 {measured['in_bot_p50']:.1f} ms, "
        f"reply p95 {measured['p95']:.1f} ms"
    )
    table = Table(title="One message, step by step (ms)")
    for column in ("from", "to", "what", "p50", "mean"):
        table.add_column(column, justify="right" if column in ("p50", "mean") else "left")
    names = [name for name, _ in ORDER]
    complete = [m for m in marks.values() if all(name in m for name in names)]
    for (start, what), (end, _) in itertools.pairwise(ORDER):
        gaps = [(m[end] - m[start]) * 1000 for m in complete]
        table.add_row(
            start, end, what, f"{statistics.median(gaps):.2f}", f"{statistics.mean(gaps):.2f}"
        )
    console.print(table)


if __name__ == "__main__":  # the load client re-imports bench modules in its own process
    main()
