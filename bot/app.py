"""Running the application bootstrap() builds: the bot on Telegram (polling or webhook) or the
console, its delivery tick, and the NLU and storage tools the command line calls. Runtime policy
lives here, not in the composition: the tick's schedule and settling the heap once started."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import uvicorn
from telegram.ext import Application

from bot.bootstrap import (
    Services,
    bootstrap,
    dashboard_services,
    nlu_connection,
    open_storage,
    reading_nlu,
    thresholds,
)
from bot.channels.console import Console
from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.telegram_sender import TelegramSender
from bot.channels.webhook import SenderOf, WebhookServer
from bot.content.catalog import load_catalog
from bot.core.latin_typing import message_language
from bot.core.ports import NLUUnavailable
from bot.core.understanding import OUT_OF_SCOPE, Reading, interpret
from bot.logs import RedactingFormatter
from bot.settings import Settings, dashboard_address
from bot.storage.inbound import SqlInbound
from bot.storage.unanswered import SqlUnanswered
from bot.web.app import create_dashboard

log = logging.getLogger("bot")


def settle_heap() -> None:
    """Call once start-up is done: what exists now (content, libraries, the application)
    lives as long as the process, so the collector stops scanning it. A full collection over
    all of it stalls the event loop for tens of milliseconds, which the sending rate feels."""
    gc.collect()
    gc.freeze()


async def classify(settings: Settings, formatter: RedactingFormatter) -> int:
    catalog = load_catalog(settings.data_dir, settings.default_language)
    limits = thresholds(settings)
    async with nlu_connection(settings, formatter) as connection:
        nlu = reading_nlu(settings, catalog, connection)
        for line in sys.stdin:
            text = line.strip()
            if not text:
                continue
            language = (
                message_language(text, catalog.languages, nlu.readers) or settings.default_language
            )
            try:
                reading = interpret(await nlu.parse(text), limits)
            except NLUUnavailable:
                reading = Reading(OUT_OF_SCOPE, 0.0)
            row: dict[str, object] = {
                "text": text,
                "topic": reading.topic,
                "confidence": round(reading.confidence, 4),
                "language": language,
            }
            if reading.alternatives:
                row["alternatives"] = list(reading.alternatives)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


async def export_unanswered(settings: Settings) -> int:
    async with open_storage(settings) as storage:
        store = SqlUnanswered(
            storage.sessions, dt.timedelta(days=settings.unanswered_retention_days)
        )
        await store.purge(dt.datetime.now(dt.UTC))
        sys.stdout.write(await store.export())
    return 0


ALLOWED_UPDATES = ["message", "callback_query"]


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the signals to whoever runs it (the bot, or the webhook
    server next to it): two servers in one process would each take them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def dashboard_server(
    settings: Settings, services: Services, bot_username: str | None = None
) -> AsyncIterator[None]:
    """The organisers' dashboard (bot/web) on DASHBOARD_LISTEN:DASHBOARD_PORT while inside."""
    if not settings.dashboard_enabled:
        yield
        return
    app = create_dashboard(
        dashboard_services(
            settings,
            services.catalog,
            services.sessions,
            services.clock,
            services.rasa,
            alerts=services.alert_service,
        ),
        settings,
        bot_username,
    )
    config = uvicorn.Config(
        app,
        host=settings.dashboard_listen,
        port=settings.dashboard_port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=True,
        forwarded_allow_ips=settings.dashboard_trusted_proxies,
    )
    server = _Server(config)
    serving = asyncio.create_task(_serve(server))
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn sets a flag
        await asyncio.sleep(0.02)
    if not server.started:
        # A taken port must not stop the bot: its chats and deliveries matter more than the
        # console, which an operator can move with DASHBOARD_PORT.
        log.error(
            "the dashboard could not start on %s:%s (uvicorn said why above); "
            "the bot runs without it",
            settings.dashboard_listen,
            settings.dashboard_port,
        )
        yield
        return
    # On stderr: the console chat owns stdout.
    line = services.catalog.strings[settings.default_language]["cli.dashboard_address"]
    print(line.format(address=dashboard_address(settings)), file=sys.stderr, flush=True)
    try:
        yield
    finally:
        server.should_exit = True
        await serving


async def _serve(server: uvicorn.Server) -> None:
    """uvicorn ends a failed start (a port already taken) with sys.exit(3), which would leave
    the event loop and end the bot; here it only ends the dashboard."""
    with contextlib.suppress(SystemExit):
        await server.serve()


async def run(settings: Settings, formatter: RedactingFormatter) -> int:
    async with bootstrap(settings, formatter=formatter) as services:
        # The shipped events (data/events/), saved by key: moved ones tell who asked.
        await services.shipped_events.load(services.clock.now())
        if settings.telegram_bot_token is None:
            async with dashboard_server(settings, services):
                return await _console(settings, services)
        channel = TelegramChannel(
            services.dialogue,
            services.catalog,
            services.metrics,
            max_image_bytes=settings.ocr_max_bytes,
        )
        application = build_application(
            settings.telegram_bot_token.get_secret_value(),
            str(settings.telegram_api_base_url),
            channel,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        delivery = services.delivery(
            TelegramSender(application.bot, settings.delivery_paid_broadcast)
        )

        ticking = asyncio.Lock()

        async def tick(_context: object) -> None:
            # A tick can outlast the interval (an announcement going out): the next one then
            # has nothing to do. (Left to APScheduler, every skipped run is a logged warning.)
            if ticking.locked():
                return
            async with ticking:
                await services.tick(delivery)

        assert application.job_queue is not None
        application.job_queue.run_repeating(
            tick,
            interval=settings.delivery_tick_seconds,
            first=1.0,
            name="delivery",
            job_kwargs={"max_instances": 2, "coalesce": True},
        )
        async with application, dashboard_server(settings, services, application.bot.username):
            await channel.set_commands(application)
            await application.start()
            settle_heap()
            if settings.telegram_mode == "webhook":
                await serve_webhook(
                    settings, services, application, sender_of=channel.free_text_sender
                )
            else:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                log.info("polling Telegram")
                await stop.wait()
                await application.updater.stop()
            await application.stop()
    return 0


async def _console(settings: Settings, services: Services) -> int:
    console = Console(
        services.dialogue,
        services.catalog,
        sys.stdin,
        sys.stdout,
        settings.default_language,
        documents=Path("var/documents"),
        max_image_bytes=settings.ocr_max_bytes,
    )
    await console.run()
    return 0


async def serve_webhook(
    settings: Settings,
    services: Services,
    application: Application,  # type: ignore[type-arg]
    sender_of: SenderOf | None = None,
) -> None:
    """Run the webhook server until SIGTERM/SIGINT (uvicorn's own graceful shutdown).
    `sender_of` (the channel's `free_text_sender`): free text's first reads at receipt."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    checks: dict[str, Callable[[], Awaitable[bool]]] = {"database": services.database_ok}
    if services.nlu_healthy is not None:
        checks["nlu"] = services.nlu_healthy
    server = WebhookServer(
        application,
        SqlInbound(services.sessions, services.dialogue.first_reads),
        secret,
        settings.webhook_path,
        services.metrics,
        checks=checks,
        workers=settings.webhook_workers,
        sender_of=sender_of,
    )
    url = str(settings.webhook_url).rstrip("/") + settings.webhook_path
    await application.bot.set_webhook(
        url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=40
    )
    config = uvicorn.Config(
        server.app(),
        host=settings.webhook_listen,
        port=settings.webhook_port,
        log_level="warning",
        access_log=False,  # request lines would carry nothing useful and cost a log line each
    )
    log.info("webhook server on %s:%d", settings.webhook_listen, settings.webhook_port)
    await uvicorn.Server(config).serve()
