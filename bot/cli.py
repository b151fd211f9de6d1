"""`ecsm-bot`: run the bot, classify messages, train the NLU model, migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import signal
import sys
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from telegram.ext import Application

from bot import campaign_admin, operations
from bot.app import (
    Services,
    nlu_connection,
    open_services,
    reading_nlu,
    settle_heap,
    thresholds,
)
from bot.channels.console import Console
from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.telegram_sender import TelegramSender
from bot.channels.webhook import WebhookServer
from bot.content.catalog import ContentError, load_catalog
from bot.content.freshness import stale_sources
from bot.core.language import detect_language
from bot.core.ports import NLUUnavailable
from bot.core.understanding import OUT_OF_SCOPE, Reading, interpret
from bot.logs import RedactingFormatter, setup_logging
from bot.nlu.client import RasaNLU
from bot.nlu.model import ModelPaths, ensure_model
from bot.nlu.prepare import prepare_training_data
from bot.nlu.server import RasaError
from bot.settings import Settings, describe_errors
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.inbound import SqlInbound
from bot.storage.unanswered import SqlUnanswered

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecsm-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot: Telegram with a token, otherwise a console chat")
    sub.add_parser("classify", help="classify one message per line of stdin, JSON lines out")
    nlu = sub.add_parser("nlu", help="NLU model tasks")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True)
    train = nlu_sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true")
    nlu_sub.add_parser("unanswered", help="print unplaced messages as draft training data")
    nlu_sub.add_parser(
        "prepare", help="write the training data as Rasa is trained on it (nlu/build/data)"
    )
    sub.add_parser("migrate", help="apply database migrations")
    check = sub.add_parser("check", help="validate settings and content, then exit")
    check.add_argument(
        "--stale",
        type=int,
        metavar="DAYS",
        help="also list every source whose `checked:` date is more than DAYS days old",
    )
    campaign = sub.add_parser("campaign", help="organisers: this year's campaign theme")
    campaign_sub = campaign.add_subparsers(dest="campaign_command", required=True)
    theme = campaign_sub.add_parser("theme", help="set or show the theme the bot presents")
    theme_sub = theme.add_subparsers(dest="theme_command", required=True)
    theme_set = theme_sub.add_parser(
        "set", help="store the theme of a year in one language (preferred over campaign.yml)"
    )
    theme_set.add_argument("--year", type=int, required=True)
    theme_set.add_argument("--lang", required=True, help="a language of data/, e.g. en or bg")
    theme_set.add_argument(
        "text", help='plain text that completes "This year the campaign focuses on ..."'
    )
    theme_show = theme_sub.add_parser("show", help="list the themes and where each comes from")
    theme_show.add_argument("--year", type=int)
    events = sub.add_parser("events", help="organisers: import and list events")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    importing = events_sub.add_parser(
        "import", help="import events from YAML, CSV or iCalendar (.ics): all rows or none"
    )
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help="check only")
    events_sub.add_parser("list", help="list upcoming events")
    cast = sub.add_parser("broadcast", help="organisers: send an announcement")
    cast.add_argument("--text-file", type=Path, required=True, help="Telegram HTML; - for stdin")
    cast.add_argument(
        "--audience",
        default="",
        help="segment=all|citizen|business,language=LANG,region=KEY,event=ID (default: everyone)",
    )
    cast.add_argument("--button", help="a link button: 'Label|https://address'")
    cast.add_argument("--at", help="send later: YYYY-MM-DD HH:MM in --timezone")
    cast.add_argument("--timezone", default=None, help="default: DEFAULT_TIMEZONE")
    cast.add_argument("--dry-run", action="store_true", help="print the audience size only")
    cast.add_argument("--wait", action="store_true", help="show delivery progress until done")
    args = parser.parse_args(argv)

    try:
        settings = Settings()
    except ValidationError as exc:
        print("Invalid settings:", *describe_errors(exc), sep="\n  ", file=sys.stderr)
        return 2
    console_mode = args.command in (None, "run") and settings.telegram_bot_token is None
    # A console chat or a JSON stream on stdout must not be interleaved with routine logs.
    quiet = console_mode or args.command == "classify"
    level = "WARNING" if quiet and settings.log_level in ("INFO", "DEBUG") else settings.log_level
    formatter = setup_logging(level, settings.log_format, settings.secrets())
    try:
        match args.command:
            case "classify":
                return asyncio.run(classify(settings, formatter))
            case "nlu" if args.nlu_command == "unanswered":
                return asyncio.run(export_unanswered(settings))
            case "nlu" if args.nlu_command == "prepare":
                paths = ModelPaths(settings.nlu_dir, settings.data_dir)
                prepare_training_data(paths.nlu_dir / "data", paths.training_data, paths.data_dir)
                return 0
            case "nlu":
                ensure_model(
                    ModelPaths(settings.nlu_dir, settings.data_dir),
                    settings.rasa_venv,
                    force=args.force,
                )
                return 0
            case "migrate":
                migrate(settings.database_url)
                return 0
            case "check":
                load_catalog(settings.data_dir, settings.default_language)
                if args.stale is not None:
                    return report_stale(settings.data_dir, args.stale)
                return 0
            case "campaign" if args.theme_command == "set":
                return asyncio.run(
                    campaign_admin.set_theme(settings, args.year, args.lang, args.text)
                )
            case "campaign":
                return asyncio.run(campaign_admin.show_themes(settings, args.year))
            case "events" if args.events_command == "import":
                return asyncio.run(operations.import_events(settings, args.file, args.dry_run))
            case "events":
                return asyncio.run(operations.list_events(settings))
            case "broadcast":
                return asyncio.run(
                    operations.broadcast(
                        settings,
                        args.text_file,
                        args.audience,
                        args.button,
                        args.at,
                        args.timezone or settings.default_timezone,
                        args.dry_run,
                        args.wait,
                    )
                )
            case _:
                return asyncio.run(run(settings, formatter))
    except ContentError as exc:
        print(f"Content error: {exc}", file=sys.stderr)
        return 2
    except RasaError as exc:
        print(f"NLU server: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


def report_stale(data_dir: Path, days: int) -> int:
    """List the sources checked more than `days` days ago. A report, so exit 0 either way."""
    today = dt.date.today()
    stale = stale_sources(data_dir, today, days)
    for source in stale:
        print(f"{source.file}\t{source.entry}\t{source.url}\t{source.checked.isoformat()}")
    print(f"{len(stale)} source(s) checked more than {days} day(s) before {today.isoformat()}")
    return 0


async def classify(settings: Settings, formatter: RedactingFormatter) -> int:
    catalog = load_catalog(settings.data_dir, settings.default_language)
    limits = thresholds(settings)
    async with nlu_connection(settings, formatter) as connection:
        nlu = reading_nlu(settings, catalog, connection)
        for line in sys.stdin:
            text = line.strip()
            if not text:
                continue
            language = detect_language(text, catalog.languages) or settings.default_language
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
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        store = SqlUnanswered(
            make_sessions(engine), dt.timedelta(days=settings.unanswered_retention_days)
        )
        await store.purge(dt.datetime.now(dt.UTC))
        sys.stdout.write(await store.export())
    finally:
        await engine.dispose()
    return 0


ALLOWED_UPDATES = ["message", "callback_query"]


async def run(settings: Settings, formatter: RedactingFormatter) -> int:
    async with nlu_connection(settings, formatter) as nlu, open_services(settings, nlu) as services:
        if settings.telegram_bot_token is None:
            console = Console(
                services.dialogue,
                services.catalog,
                sys.stdin,
                sys.stdout,
                settings.default_language,
                documents=Path("var/documents"),
            )
            await console.run()
            return 0
        channel = TelegramChannel(services.dialogue, services.catalog, services.metrics)
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
        async with application:
            await channel.set_commands(application)
            await application.start()
            settle_heap()
            if settings.telegram_mode == "webhook":
                await serve_webhook(settings, services, application, nlu)
            else:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                log.info("polling Telegram")
                await stop.wait()
                await application.updater.stop()
            await application.stop()
    return 0


async def serve_webhook(
    settings: Settings,
    services: Services,
    application: Application,  # type: ignore[type-arg]
    nlu: RasaNLU,
) -> None:
    """Run the webhook server until SIGTERM/SIGINT (uvicorn's own graceful shutdown)."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    server = WebhookServer(
        application,
        SqlInbound(services.sessions),
        secret,
        settings.webhook_path,
        services.metrics,
        checks={"database": services.database_ok, "nlu": nlu.healthy},
        workers=settings.webhook_workers,
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
