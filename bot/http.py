"""The bot's outgoing HTTP (the Bot API through python-telegram-bot, the Rasa server): httpx's
API over aiohttp's connection pool (`httpx-aiohttp`).

Why not httpx's own pool: httpcore 1.0.9 gives a keep-alive connection to every request queued
while it is idle, until the first of them reaches it a few loop turns later; the others then
wait for its lock, fail with ConnectionNotAvailable and are queued again (encode/httpcore#822).
Replies that leave together, as they do at 50 chats, paid for it on the reply's path
(docs/benchmarks.md, "The reply's HTTP hand-over (send14)"). aiohttp's connector hands an idle
connection to one request only.

`Transport` keeps what callers rely on from httpx's own transport: its exception classes with
the same meaning (`bot/channels/telegram_sender.py` resends only when the request certainly
never left: ConnectError, ConnectTimeout, PoolTimeout), the connect timeout on top of the pool's
wait, and a transport that can be used again after it is closed (python-telegram-bot builds a
new client from the same arguments when an application is initialised a second time). Proxies
from the environment: see `httpx_kwargs`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

# Most specific first: the first class an error is an instance of decides. httpx-aiohttp's own
# table maps every aiohttp.ClientConnectionError, a server that hung up mid-answer included,
# to ConnectTimeout ("never sent"), which would make the sender send a message twice.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    # aiohttp's "connect" covers waiting for a pooled connection and making a new one.
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    # A connection reset while the request was written or the answer read: it may have left.
    (aiohttp.ClientConnectionError, httpx.ReadError),
    (aiohttp.ClientError, httpx.TransportError),
    (TimeoutError, httpx.ReadTimeout),
)


def _mapped(exc: BaseException) -> httpx.TransportError | None:
    # httpx-aiohttp raises its own choice of httpx error "from" aiohttp's: decide on that.
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    if cause is None:
        return None
    for source, target in _ERRORS:
        if isinstance(cause, source):
            return target(str(cause) or type(cause).__name__)
    return None


@contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
        mapped = _mapped(exc)
        if mapped is None:
            raise
        raise mapped from exc.__cause__ if isinstance(exc, httpx.TransportError) else exc


def _whole(timeout: dict[str, float | None]) -> float | None:
    total = 0.0
    for phase in ("pool", "connect", "write", "read"):
        limit = timeout.get(phase)
        if limit is None:
            return None
        total += limit
    return total


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        with _httpx_errors():
            await self._stream.aclose()


class Transport(AiohttpTransport):
    def __init__(self, max_connections: int | None = 100, keepalive_expiry: float = 5.0) -> None:
        super().__init__(
            limits=httpx.Limits(max_connections=max_connections, keepalive_expiry=keepalive_expiry)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout: dict[str, float | None] = dict(request.extensions.get("timeout", {}))
        pool, connect = timeout.get("pool"), timeout.get("connect")
        if pool is not None and connect is not None:
            # aiohttp has one limit for the pool's wait and the connect together; httpx has two.
            request.extensions = {
                **request.extensions,
                "timeout": {**timeout, "pool": pool + connect},
            }
        with _httpx_errors():
            # aiohttp has no limit on writing the request: a server that stops reading an upload
            # would hold it until it hangs up. Every phase's limit together bounds the whole
            # exchange up to the answer's head instead (a TimeoutError: "it may have left").
            async with asyncio.timeout(_whole(timeout)):
                response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Body(response.stream)
        return response

    async def aclose(self) -> None:
        await super().aclose()
        # A closed aiohttp session cannot be used again; the next request opens a new one.
        self.client = None


def httpx_kwargs(max_connections: int = 100) -> dict[str, Any]:
    """What an `httpx.AsyncClient` is given to send through `Transport`. A mount, not the
    client's `transport`: httpx then still routes through HTTP(S)_PROXY from the environment
    (its own transport, for the URLs NO_PROXY does not exempt) as before. (aiohttp's session
    can read them too, trust_env, but then reads ~/.netrc on every request: 0.6 ms or more a
    request on localhost instead of 0.3.)"""
    return {"mounts": {"all://": Transport(max_connections=max_connections)}}


def client(base_url: str = "", max_connections: int = 100, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client over `Transport` (for the Rasa server)."""
    return httpx.AsyncClient(base_url=base_url, **httpx_kwargs(max_connections), **kwargs)
