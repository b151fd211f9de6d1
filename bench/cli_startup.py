"""CPU time (user + system) of one `ecsm-bot <command>` process, per command, for the code of one
or more commits side by side: `git archive <commit> bot | tar -x -C DIR` gives a tree DIR, and
each command runs from it (the editable install set aside), on one SQLite database migrated first.
CPU time rather than wall time: the machine is shared and loaded.

    .venv/bin/python -m bench.cli_startup --runs 3 before=/tmp/before after=/tmp/after
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS: list[tuple[str, list[str], str]] = [
    ("migrate", ["migrate"], ""),
    ("alerts list", ["alerts", "list"], ""),
    ("organisers list", ["organisers", "list"], ""),
    ("campaign theme show", ["campaign", "theme", "show"], ""),
    ("events list", ["events", "list"], ""),
    ("check", ["check"], ""),
    ("check-message (1 line)", ["check-message"], "Your parcel is held: pay 1.20 at x.top\n"),
]

# Runs bot.cli.main from TREE instead of the editable install.
RUNNER = """
import os, sys
tree = os.environ["CLISTART_TREE"]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, tree)
import bot
assert bot.__file__.startswith(tree), bot.__file__
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cpu_seconds(tree: str, args: list[str], stdin: str, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        input=stdin,
        env={**env, "CLISTART_TREE": tree},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{args} from {tree}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("trees", nargs="+", help="NAME=DIR, a tree of bot/ per commit")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    trees = [tuple(t.split("=", 1)) for t in args.trees]
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RASA_"))}
        env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/bench.db",
            DATA_DIR=str(ROOT / "data"),
            DEFAULT_LANGUAGE="en",
            LOG_LEVEL="WARNING",
        )
        cpu_seconds(trees[0][1], ["migrate"], "", env)
        print("command", *(f"{name} (min / median s)" for name, _ in trees), sep=" | ")
        for label, command, stdin in COMMANDS:
            cells = []
            for _, tree in trees:
                times = [cpu_seconds(tree, command, stdin, env) for _ in range(args.runs)]
                cells.append(f"{min(times):.2f} / {statistics.median(times):.2f}")
            print(label, *cells, sep=" | ", flush=True)


if __name__ == "__main__":
    main()
