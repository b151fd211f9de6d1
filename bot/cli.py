"""`ecsm-bot`: run the bot, classify messages, train the NLU model, migrate the database."""

# Only the arguments and the settings are read here; bot/app.py and bot/operations.py do the work,
# on what bot/bootstrap.py builds.

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.content.catalog import ContentError
from bot.logs import setup_logging
from bot.settings import Settings, describe_errors

# A command imports what it runs on when it runs (in its branch of `main`): `alerts list` starts
# without the chat, Telegram, the OCR, the NLU or the dashboard (tests/test_cli_startup.py).

# What the organisers' tools print is in data/ui (cli.*), in this language.
LANG_HELP = "the language of what is printed (a language of data/; default: DEFAULT_LANGUAGE)"


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
    # The NLU learning from its users (issue 18): bot/nlu_admin.py.
    review = nlu_sub.add_parser("review", help="the review queue (JSON lines), or decide")
    review.add_argument("--lang", help="one language's queue")
    review.add_argument("--decide", help="assigned, new_topic or dismissed")
    review.add_argument("--ids", default="", help="the messages decided on: 3,4,5")
    review.add_argument("--topic", help="the taxonomy intent assigned")
    nlu_sub.add_parser("export-reviewed", help="write the labelled messages as Rasa YAML in nlu/")
    nlu_sub.add_parser("retrain", help="train a candidate with the reviewed messages, score it")
    promote = nlu_sub.add_parser("promote", help="serve a trained candidate")
    promote.add_argument("version", type=int)
    promote.add_argument("--reason", help="an admin's reason to promote a worse-scoring model")
    nlu_sub.add_parser("restore", help="serve the model served before the current one")
    nlu_sub.add_parser("models", help="the model versions with their scores (JSON lines)")
    sub.add_parser("migrate", help="apply database migrations")
    checking = sub.add_parser(
        "check-message",
        help="is it a scam? one message per line of stdin (or --image), JSON lines out",
    )
    checking.add_argument("--image", type=Path, help="check one screenshot (read with OCR)")
    check = sub.add_parser("check", help="validate settings and content, then exit")
    check.add_argument(
        "--stale",
        type=int,
        metavar="DAYS",
        help="also list every source whose `checked:` date is more than DAYS days old",
    )
    check.add_argument("--lang", help=LANG_HELP)
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
    importing.add_argument("--lang", help=LANG_HELP)
    listing = events_sub.add_parser("list", help="list upcoming events")
    listing.add_argument("--lang", help=LANG_HELP)
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
    cast.add_argument("--lang", help=LANG_HELP)
    dashboard = sub.add_parser("dashboard", help="organisers' dashboard")
    dashboard_sub = dashboard.add_subparsers(dest="dashboard_command", required=True)
    link = dashboard_sub.add_parser("link", help="print a one-time sign-in link")
    link.add_argument("--user", type=int, required=True, help="the organiser's Telegram user id")
    staff = sub.add_parser("organisers", help="organisers, their roles and regions")
    staff_sub = staff.add_subparsers(dest="organisers_command", required=True)
    staff_sub.add_parser("list", help="list the organisers")
    staff_add = staff_sub.add_parser("add", help="add an organiser, or change their role")
    staff_add.add_argument("user", type=int, help="Telegram user id")
    staff_add.add_argument("--role", default="organiser", help="admin, organiser or viewer")
    staff_add.add_argument(
        "--region", action="append", default=[], help="limit to a region (repeatable)"
    )
    staff_remove = staff_sub.add_parser("remove", help="remove an organiser")
    staff_remove.add_argument("user", type=int, help="Telegram user id")
    alerts = sub.add_parser("alerts", help="organisers: scam alerts (known scam waves)")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True)
    alerts_publish = alerts_sub.add_parser(
        "publish",
        help="publish the alert written in a YAML file (README: Scam alerts), or a stored draft",
    )
    alerts_what = alerts_publish.add_mutually_exclusive_group(required=True)
    alerts_what.add_argument("--file", type=Path)
    alerts_what.add_argument("--id", type=int, help="the draft to publish (see alerts list)")
    alerts_publish.add_argument("--draft", action="store_true", help="store it unpublished")
    alerts_sub.add_parser("list", help="list the alerts with their status and matches")
    alerts_retire = alerts_sub.add_parser("retire", help="retire an alert: the wave is over")
    alerts_retire.add_argument("id", type=int)
    alerts_show = alerts_sub.add_parser("show", help="print an alert as a file, for edit --file")
    alerts_show.add_argument("id", type=int)
    alerts_edit = alerts_sub.add_parser(
        "edit", help="change a draft or published alert's texts, examples or source"
    )
    alerts_edit.add_argument("id", type=int)
    alerts_edit.add_argument("--file", type=Path, help="the whole alert, as `show` prints it")
    alerts_edit.add_argument("--language", help="the language of the fields below (default: main)")
    alerts_edit.add_argument("--title")
    alerts_edit.add_argument("--looks-like", dest="looks_like")
    alerts_edit.add_argument("--advice")
    alerts_edit.add_argument(
        "--example", action="append", dest="examples", help="replaces the examples (repeatable)"
    )
    alerts_edit.add_argument("--source", help="the official warning's address ('' removes it)")
    args = parser.parse_args(argv)

    try:
        settings = Settings()
    except ValidationError as exc:
        print("Invalid settings:", *describe_errors(exc), sep="\n  ", file=sys.stderr)
        return 2
    console_mode = args.command in (None, "run") and settings.telegram_bot_token is None
    # A console chat or a JSON stream on stdout must not be interleaved with routine logs.
    quiet = console_mode or args.command in ("classify", "check-message")
    level = "WARNING" if quiet and settings.log_level in ("INFO", "DEBUG") else settings.log_level
    formatter = setup_logging(level, settings.log_format, settings.secrets())
    try:
        match args.command:
            case "classify":
                from bot import app

                return asyncio.run(app.classify(settings, formatter))
            case "nlu" if args.nlu_command == "unanswered":
                from bot import app

                return asyncio.run(app.export_unanswered(settings))
            case "nlu" if args.nlu_command == "review":
                from bot import nlu_admin

                ids = [int(i) for i in args.ids.split(",") if i.strip().isdigit()]
                return asyncio.run(
                    nlu_admin.review(settings, args.lang, args.decide, ids, args.topic)
                )
            case "nlu" if args.nlu_command == "export-reviewed":
                from bot import nlu_admin

                return asyncio.run(nlu_admin.export_reviewed(settings))
            case "nlu" if args.nlu_command == "retrain":
                from bot import nlu_admin

                return asyncio.run(nlu_admin.retrain(settings))
            case "nlu" if args.nlu_command == "promote":
                from bot import nlu_admin

                return asyncio.run(nlu_admin.promote(settings, args.version, args.reason))
            case "nlu" if args.nlu_command == "restore":
                from bot import nlu_admin

                return asyncio.run(nlu_admin.restore(settings))
            case "nlu" if args.nlu_command == "models":
                from bot import nlu_admin

                return asyncio.run(nlu_admin.models(settings))
            case "nlu" if args.nlu_command == "prepare":
                from bot.nlu.model import ModelPaths
                from bot.nlu.prepare import prepare_training_data

                paths = ModelPaths(settings.nlu_dir, settings.data_dir)
                prepare_training_data(paths.nlu_dir / "data", paths.training_data, paths.data_dir)
                return 0
            case "nlu":
                from bot.nlu.model import ModelPaths, ensure_model

                ensure_model(
                    ModelPaths(settings.nlu_dir, settings.data_dir),
                    settings.rasa_venv,
                    force=args.force,
                )
                return 0
            case "check-message":
                from bot import message_check

                return asyncio.run(message_check.check_messages(settings, args.image))
            case "migrate":
                from bot.storage.db import migrate

                migrate(settings.database_url)
                return 0
            case "check":
                from bot import operations
                from bot.content.catalog import load_catalog
                from bot.ocr.tesseract import ocr_status

                catalog = load_catalog(settings.data_dir, settings.default_language)
                print(ocr_status(settings, catalog))
                if args.stale is not None:
                    return operations.report_stale(settings, args.stale, args.lang)
                return 0
            case "campaign" if args.theme_command == "set":
                from bot import campaign_admin

                return asyncio.run(
                    campaign_admin.set_theme(settings, args.year, args.lang, args.text)
                )
            case "campaign":
                from bot import campaign_admin

                return asyncio.run(campaign_admin.show_themes(settings, args.year))
            case "events" if args.events_command == "import":
                from bot import operations

                return asyncio.run(
                    operations.import_events(settings, args.file, args.dry_run, language=args.lang)
                )
            case "events":
                from bot import operations

                return asyncio.run(operations.list_events(settings, language=args.lang))
            case "dashboard":
                from bot import dashboard_admin

                return asyncio.run(dashboard_admin.sign_in_link(settings, args.user))
            case "organisers":
                from bot import dashboard_admin

                return asyncio.run(
                    dashboard_admin.organisers(
                        settings,
                        args.organisers_command,
                        getattr(args, "user", None),
                        getattr(args, "role", "organiser"),
                        getattr(args, "region", []),
                    )
                )
            case "alerts" if args.alerts_command == "publish" and args.id is not None:
                from bot import alert_admin

                return asyncio.run(alert_admin.publish_draft(settings, args.id))
            case "alerts" if args.alerts_command == "publish":
                from bot import alert_admin

                return asyncio.run(alert_admin.publish(settings, args.file, args.draft))
            case "alerts" if args.alerts_command == "retire":
                from bot import alert_admin

                return asyncio.run(alert_admin.retire(settings, args.id))
            case "alerts" if args.alerts_command == "show":
                from bot import alert_admin

                return asyncio.run(alert_admin.show(settings, args.id))
            case "alerts" if args.alerts_command == "edit":
                from bot import alert_admin

                changes = alert_admin.Changes(
                    args.file,
                    args.language,
                    args.title,
                    args.looks_like,
                    args.advice,
                    args.examples,
                    args.source,
                )
                return asyncio.run(alert_admin.edit(settings, args.id, changes))
            case "alerts":
                from bot import alert_admin

                return asyncio.run(alert_admin.list_alerts(settings))
            case "broadcast":
                from bot import operations

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
                        language=args.lang,
                    )
                )
            case _:
                from bot import app

                return asyncio.run(app.run(settings, formatter))
    except ContentError as exc:
        print(f"Content error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if _raised_as(exc, "bot.nlu.server", "RasaError"):
            print(f"NLU server: {exc}", file=sys.stderr)
            return 3
        if _raised_as(exc, "bot.operations", "UnknownLanguage"):  # --lang: says which there are
            print(exc, file=sys.stderr)
            return 2
        raise


def _raised_as(exc: Exception, module: str, name: str) -> bool:
    """Whether `exc` is `module`'s exception `name`, without importing `module` for it: only a
    command that imported it can have raised it."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))
