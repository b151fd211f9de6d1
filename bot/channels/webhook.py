"""Webhook mode: an HTTP server (Starlette on uvicorn) that Telegram posts updates to.

- Every request must carry Telegram's secret-token header; anything else gets 403 and is not
  read further.
- An update is stored in the database before Telegram gets its 200, and deleted once handled:
  an acknowledged update is either handled or still stored for handling, whatever stops the
  process. Handling happens in a worker; stored updates left by a stopped process (or another
  one) are picked up by a sweeper.
- /healthz says whether the database and the NLU answer; /metrics is Prometheus text.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackContext

from bot.metrics import Metrics
from bot.storage import receipt
from bot.storage.inbound import Sender, SqlInbound
from bot.storage.receipt import NotStored

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_BODY = 1_000_000  # Telegram's updates are far smaller; a bigger body is not Telegram
# How long a received update is reserved for the process that received it: after a crash, its
# unhandled updates are taken by the sweeper of any process once this has passed.
LEASE = dt.timedelta(seconds=30)
SWEEP_EVERY = 15.0
SWEEP_AGE = dt.timedelta(seconds=10)
# Handled updates are deleted together, this often: one write instead of one per message.
# They stay claimed meanwhile, so nothing takes them again; a crash in between means they are
# handled twice (after the lease), as a crash between answering and deleting always did.
FORGET_EVERY = 0.1
# An update whose handling failed (the database down, say) is kept and handled again once its
# lease has passed, this many times in all; then it is dropped, so that one that always fails
# (a bug) does not come back for ever.
MAX_ATTEMPTS = 3

HealthCheck = Callable[[], Awaitable[bool]]
# Who sent an update the dialogue will read as free text, and the language they get if new;
# None for any other update (bot.channels.telegram.free_text_sender).
SenderOf = Callable[[Update], Sender | None]


class WebhookServer:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        inbound: SqlInbound,
        secret: str,
        path: str,
        metrics: Metrics,
        checks: dict[str, HealthCheck],
        workers: int = 8,
        lease: dt.timedelta = LEASE,
        sender_of: SenderOf | None = None,
    ) -> None:
        self.lease = lease
        # With it (and an inbound that reads early: PostgreSQL), a free-text update's first
        # reads are made in the statement that stores it (bot/storage/first_reads.py).
        self.sender_of = sender_of if inbound.reads_early else None
        self.application = application
        self.inbound = inbound
        self.secret = secret.encode()
        self.path = path
        self.metrics = metrics
        self.checks = checks
        self.workers = workers
        # (update id, payload) for updates this process received and owns (the payload already
        # parsed when it was needed at receipt); (id, None) for stored ones found by the
        # sweeper, which must be claimed first.
        self.queue: asyncio.Queue[tuple[int, dict[str, Any] | Update | None]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._handled: list[int] = []
        self._store_failing = False
        self._failed: set[int] = set()
        self._attempts: dict[int, int] = {}
        application.add_error_handler(self._note_failure)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(self.path, self.receive, methods=["POST"]),
                Route("/healthz", self.health, methods=["GET"]),
                Route("/metrics", self.render_metrics, methods=["GET"]),
            ],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        if self._tasks:
            return
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]
        self._tasks.append(asyncio.create_task(self._sweep()))
        self._tasks.append(asyncio.create_task(self._forget_handled()))

    async def stop(self, drain: float = 10.0) -> None:
        """Handle what is queued (for up to `drain` seconds), then stop; anything left stays in
        the database for the next start or another process."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.join(), timeout=drain)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.forget_handled()

    # --- endpoints ------------------------------------------------------------------------

    async def receive(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            payload = json.loads(body)
            update_id = int(payload["update_id"])
        except (ValueError, KeyError, TypeError):
            return Response(status_code=400)
        # Stored (and claimed by this process) before the 200: if storing fails, Telegram gets
        # an error and sends the update again. A free-text update stored with its first reads
        # (PostgreSQL) is handed to a worker as soon as the reads are back, while its commit
        # is flushed: the handling waits for the commit before it writes or sends anything
        # (bot/storage/receipt.py), and so does the 200.
        try:
            received, committed = await self.keep(update_id, payload)
            if received is not None:
                self.queue.put_nowait((update_id, received))
            await committed
        except Exception:
            if not self._store_failing:
                # Once per outage: every update during it fails the same way.
                log.exception("storing webhook updates fails; Telegram will send them again")
            self._store_failing = True
            return Response(status_code=503)
        if self._store_failing:
            log.warning("storing webhook updates works again")
            self._store_failing = False
        return Response(status_code=200)

    async def keep(
        self, update_id: int, payload: dict[str, Any]
    ) -> tuple[dict[str, Any] | Update | None, Awaitable[None]]:
        """Store a received update, claimed by this process: what its worker is given (the
        update parsed when its first reads were made with it), or None when it was stored
        already (Telegram resending it); and what completes once the update is committed
        (raising if the commit fails)."""
        received: dict[str, Any] | Update = payload
        sender: Sender | None = None
        if self.sender_of is not None:
            try:
                received = Update.de_json(payload, self.application.bot)
            except Exception:
                received = payload  # parsed again, and its error met, by the worker
            else:
                sender = self.sender_of(received)
        committed = await self.inbound.store_before_commit(
            update_id, payload, dt.datetime.now(dt.UTC), self.lease, sender
        )
        if committed is None:
            return None, receipt.done()
        return received, committed

    async def health(self, _request: Request) -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                ok = await asyncio.wait_for(check(), timeout=3)
            except Exception:
                ok = False
            results[name] = "ok" if ok else "failing"
        healthy = all(value == "ok" for value in results.values())
        return JSONResponse(results, status_code=200 if healthy else 503)

    async def render_metrics(self, _request: Request) -> Response:
        self.metrics.inbound_pending.set(await self.inbound.count())
        return Response(self.metrics.render(), media_type="text/plain; version=0.0.4")

    # --- handling ---------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            update_id, payload = await self.queue.get()
            try:
                await self._handle(update_id, payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The update stays stored; the sweeper retries it after the lease.
                log.exception("handling webhook update %d failed", update_id)
            finally:
                self.queue.task_done()

    async def _handle(self, update_id: int, payload: dict[str, Any] | Update | None) -> None:
        if payload is None:
            payload = await self.inbound.claim(update_id, dt.datetime.now(dt.UTC), self.lease)
            if payload is None:
                return  # another worker or process has it, or it is done
        update = (
            payload
            if isinstance(payload, Update)
            else Update.de_json(payload, self.application.bot)
        )
        with self.inbound.handling(update_id):
            await self.application.process_update(update)
        if update_id in self._failed:
            self._failed.discard(update_id)
            attempts = self._attempts.get(update_id, 0) + 1
            if attempts < MAX_ATTEMPTS:
                # Still stored and claimed: the sweeper takes it again after the lease.
                self._attempts[update_id] = attempts
                return
            log.error("webhook update %d failed %d times; dropped", update_id, attempts)
        self._attempts.pop(update_id, None)
        self._handled.append(update_id)

    async def _note_failure(
        self, update: object, context: CallbackContext[Any, Any, Any, Any]
    ) -> None:
        """Python-telegram-bot reports a handler's error to the error handlers (the channel logs
        it) and carries on, so this is where the webhook learns that an update was not handled.
        A chat that blocked the bot or is gone will not get better by trying again."""
        # Nor will an update that was never stored (NotStored): Telegram sends it again after
        # the 503, and there is no stored row to retry.
        if isinstance(update, Update) and not isinstance(
            context.error, Forbidden | BadRequest | NotStored
        ):
            self._failed.add(update.update_id)

    async def _forget_handled(self) -> None:
        while True:
            await asyncio.sleep(FORGET_EVERY)
            try:
                await self.forget_handled()
            except Exception:
                # Tried again next time; meanwhile they stay stored and claimed.
                log.exception("deleting handled webhook updates failed")

    async def forget_handled(self) -> None:
        handled, self._handled = self._handled, []
        if handled:
            try:
                await self.inbound.done(handled)
            except BaseException:
                self._handled[:0] = handled
                raise

    async def _sweep(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                # The database is down, say: the next sweep tries again.
                log.exception("looking for stored webhook updates failed")
            await asyncio.sleep(SWEEP_EVERY)

    async def sweep_once(self, older_than: dt.timedelta = SWEEP_AGE) -> int:
        waiting = await self.inbound.waiting(dt.datetime.now(dt.UTC), older_than)
        for update_id in waiting:
            self.queue.put_nowait((update_id, None))
        return len(waiting)
