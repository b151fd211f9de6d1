"""`python -m bench.nlu_train_beside`: what a training does to the parses of the Rasa server that
runs it (issue 18), the reason docker compose trains on a Rasa server of its own
(rasa-trainer) and not on the one that answers users. One Rasa server (from .venv-rasa, the
shipped model, loopback) answers a steady stream of parses (four tasks, one every 20 ms each,
at the bot's own timeout RASA_TIMEOUT) for a while, then while it trains the full model from
the repository's data (`POST /model/train`, the payload RasaServerLab sends); the parse times
before and during the training are compared, and every parse that failed or timed out is
counted. With --elsewhere the training runs on a second Rasa server on the same machine, as
compose's rasa-trainer does, and the first one only answers the parses. Rasa reuses what it
trained before on the same data (its cache, `.rasa/cache` under the server's working
directory, the model's folder here): give it a fresh one to measure a whole training,
`RASA_CACHE_DIRECTORY=<an empty folder> python -m bench.nlu_train_beside`."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from pathlib import Path

import httpx

from bot.core.ports import NLUUnavailable
from bot.nlu.client import RasaNLU
from bot.nlu.lab import free_port, training_payload
from bot.nlu.model import ModelPaths
from bot.nlu.prepare import prepare_training_data
from bot.nlu.server import rasa_server
from bot.settings import Settings

MESSAGE = "someone asks for my card number by sms"


class Stream:
    def __init__(self, nlu: RasaNLU) -> None:
        self.nlu = nlu
        self.times: list[float] = []
        self.failed = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                await self.nlu.parse(MESSAGE)
                self.times.append(time.perf_counter() - started)
            except NLUUnavailable:
                self.failed += 1
            await asyncio.sleep(0.02)


async def observe(nlu: RasaNLU, during: asyncio.Future[bytes] | float) -> tuple[list[float], int]:
    streams = [Stream(nlu) for _ in range(4)]
    tasks = [asyncio.create_task(s.run()) for s in streams]
    if isinstance(during, float):
        await asyncio.sleep(during)
    else:
        await during
    for s in streams:
        s.stop.set()
    await asyncio.gather(*tasks)
    return [t for s in streams for t in s.times], sum(s.failed for s in streams)


def summary(name: str, times: list[float], failed: int) -> str:
    if not times:
        return f"{name}: no parse answered, {failed} failed"
    cuts = statistics.quantiles(times, n=100) if len(times) > 1 else [times[0]] * 99
    return (
        f"{name}: {len(times)} answered, {failed} failed or timed out;"
        f" p50 {cuts[49] * 1000:.0f} ms, p95 {cuts[94] * 1000:.0f} ms,"
        f" max {max(times) * 1000:.0f} ms"
    )


async def main(work: Path, baseline: float, elsewhere: bool) -> None:
    settings = Settings()
    paths = ModelPaths(settings.nlu_dir, settings.data_dir)
    data = work / "data"
    prepare_training_data(paths.nlu_dir / "data", data, paths.data_dir)
    payload = training_payload(paths.nlu_dir / "config.yml", data)
    url, token = f"http://127.0.0.1:{free_port()}", secrets.token_urlsafe(24)
    log = work / "rasa.log"
    other = f"http://127.0.0.1:{free_port()}" if elsewhere else url
    async with (
        rasa_server(url, token, settings.rasa_venv, paths.model, 600, log) as served,
        rasa_server(other, served, settings.rasa_venv, paths.model, 600, log),
        httpx.AsyncClient(base_url=url) as client,
        httpx.AsyncClient(base_url=other) as trainer,
    ):
        nlu = RasaNLU(client, served, settings.rasa_timeout)
        times, failed = await observe(nlu, baseline)
        print(summary(f"before ({baseline:.0f} s)", times, failed))
        started = time.perf_counter()
        where = RasaNLU(trainer, served, settings.rasa_timeout)
        training = asyncio.ensure_future(where.train_model(payload))
        times, failed = await observe(nlu, training)
        model = training.result()
        seconds = time.perf_counter() - started
        place = "on another server" if elsewhere else "on this server"
        print(summary(f"during a training {place} ({seconds:.0f} s)", times, failed))
        print(f"the model: {len(model) / 1e6:.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("var/nlu-train-beside"))
    parser.add_argument("--baseline", type=float, default=30.0, help="seconds before training")
    parser.add_argument("--elsewhere", action="store_true", help="train on a second server")
    arguments = parser.parse_args()
    arguments.work.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(arguments.work, arguments.baseline, arguments.elsewhere))
