"""Uses the Rasa server at RASA_URL, or starts one from `.venv-rasa` for as long as it is needed.

The API is started with `--enable-api`, which also exposes model-replacing endpoints, so the
embedded server always has an auth token and only ever listens on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.nlu.model import rasa_env

log = logging.getLogger(__name__)


class RasaError(Exception):
    """The Rasa server could not be reached or started."""


async def probe(client: httpx.AsyncClient, token: str) -> bool:
    """True when a Rasa server with a loaded model answers; RasaError when it refuses the token."""
    try:
        response = await client.get("/status", params={"token": token}, timeout=2.0)
    except httpx.HTTPError:
        return False
    if response.status_code in (401, 403):
        raise RasaError("a Rasa server answers at RASA_URL but refuses RASA_TOKEN")
    if response.status_code != 200:
        return False
    try:
        return bool(response.json().get("model_file"))
    except ValueError:
        return False


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.asynccontextmanager
async def rasa_server(
    url: str,
    token: str | None,
    rasa_venv: Path,
    model: Path,
    startup_timeout: float,
    log_file: Path,
) -> AsyncIterator[str]:
    """Yield the auth token of a running Rasa server at `url`, starting one if none answers."""
    async with httpx.AsyncClient(base_url=url) as client:
        if token is not None and await probe(client, token):
            log.info("using the Rasa server that answers at RASA_URL")
            yield token
            return
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or 5005
        if not _is_loopback(host):
            raise RasaError(f"no Rasa server answers at {parts.scheme}://{host}:{port}")
        token = token or secrets.token_urlsafe(24)
        process = start_process(rasa_venv, model, host, port, token, log_file)
        try:
            await wait_ready(client, token, process, startup_timeout, log_file)
            yield token
        finally:
            stop_process(process)


def start_process(
    rasa_venv: Path, model: Path, host: str, port: int, token: str, log_file: Path
) -> subprocess.Popen[bytes]:
    rasa = (rasa_venv / "bin" / "rasa").resolve()
    if not rasa.exists():
        raise RasaError(f"{rasa} is missing: run `make` to build the Rasa environment")
    if not model.exists():
        raise RasaError(f"{model} is missing: run `make model` to train it")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log.info("starting a Rasa server on %s:%s", host, port)
    command = [
        str(rasa),
        "run",
        "--enable-api",
        # One argument with "=": a token that begins with "-" is otherwise read as an option.
        f"--auth-token={token}",
        "--interface",
        host,
        "--port",
        str(port),
        "--model",
        str(model.resolve()),
        "--log-file",
        str(log_file.resolve()),
    ]
    with log_file.open("ab") as output:
        return subprocess.Popen(  # noqa: S603
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=rasa_env(),
            cwd=model.parent,
            start_new_session=True,
        )


async def wait_ready(
    client: httpx.AsyncClient,
    token: str,
    process: subprocess.Popen[bytes],
    limit: float,
    log_file: Path,
) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RasaError(f"the Rasa server exited with {process.returncode}; see {log_file}")
        if await probe(client, token):
            log.info("Rasa server ready")
            return
        await asyncio.sleep(0.5)
    raise RasaError(f"the Rasa server did not become ready in {limit:.0f} s; see {log_file}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.info("Rasa server stopped")
