"""`ecsm-bot nlu review|export-reviewed|retrain|promote|restore|models`: the NLU learning from
its users (issue 18) from the command line, through the same services as the dashboard (every
decision and promotion audited, with the operating-system user who ran it). Lists are printed
as JSON lines for scripts; refusals in the words of data/ui (nlu_admin.*)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import getpass
import json
import sys
from collections.abc import AsyncIterator
from typing import Any, TextIO

from bot.bootstrap import model_service, nlu_connection, open_storage, review_service
from bot.content.catalog import Catalog
from bot.core.domain_events import Origin
from bot.core.nlu_review import DECISIONS, Decision
from bot.core.ports import SystemClock
from bot.nlu.reviewed import write_reviewed
from bot.services.nlu_models import NluModelService, PromotionRefused, TrainingBusy
from bot.services.nlu_review import NluReviewService, UnknownTopic
from bot.settings import Settings
from bot.storage.nlu_models import SqlModelVersions
from bot.storage.unit_of_work import units_of_work


def _origin() -> Origin:
    return Origin(None, {"via": "cli", "os_user": getpass.getuser()})


def _say(catalog: Catalog, out: TextIO, key: str, **values: object) -> None:
    out.write(catalog.text(catalog.default_language, key, **values) + "\n")


def _line(out: TextIO, data: dict[str, Any]) -> None:
    out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


@contextlib.asynccontextmanager
async def _review(settings: Settings) -> AsyncIterator[tuple[NluReviewService, Catalog]]:
    async with open_storage(settings) as storage:
        units = functools.partial(units_of_work, storage.database)
        yield review_service(settings, storage.catalog, units), storage.catalog


@contextlib.asynccontextmanager
async def _models(settings: Settings) -> AsyncIterator[tuple[NluModelService, Catalog]]:
    async with open_storage(settings) as storage, nlu_connection(settings) as rasa:
        clock = SystemClock()
        yield (
            model_service(settings, storage.catalog, storage.database, clock, rasa),
            storage.catalog,
        )


async def review(
    settings: Settings,
    language: str | None,
    decide: str | None,
    ids: list[int],
    topic: str | None,
    out: TextIO = sys.stdout,
) -> int:
    """Without `decide`: the queue's groups, one JSON line each. With it: the decision."""
    async with _review(settings) as (service, catalog):
        if decide is None:
            for group in await service.queue(language):
                _line(
                    out,
                    {
                        "ids": group.ids,
                        "language": group.language,
                        "count": group.count,
                        "text": group.example.text,
                        "guess": group.guess,
                        "confidence": round(group.confidence, 3),
                        "sources": dict(group.sources),
                    },
                )
            return 0
        if decide not in DECISIONS or not ids:
            _say(catalog, out, "nlu_admin.bad_decision", decisions=", ".join(DECISIONS))
            return 2
        chosen: Decision = next(d for d in DECISIONS if d == decide)
        try:
            changed = await service.decide(ids, chosen, topic, _origin(), SystemClock().now())
        except UnknownTopic:
            _say(catalog, out, "nlu_admin.unknown_topic", topic=topic or "")
            return 2
        _say(catalog, out, "nlu_admin.decided", number=changed)
        return 0


async def export_reviewed(settings: Settings, out: TextIO = sys.stdout) -> int:
    async with _review(settings) as (service, catalog):
        written = write_reviewed(await service.examples(), settings.nlu_dir)
        for path in written:
            out.write(f"{path}\n")
        if not written:
            _say(catalog, out, "nlu_admin.nothing_reviewed")
        return 0


async def retrain(settings: Settings, out: TextIO = sys.stdout) -> int:
    async with _models(settings) as (service, catalog):
        try:
            version = await service.retrain(_origin(), SystemClock().now())
        except TrainingBusy:
            _say(catalog, out, "nlu_admin.busy")
            return 1
        await service.wait()
        stored = await service.versions.get(version)
        assert stored is not None
        _line(out, dataclasses.asdict(stored))
        return 0 if stored.status == "trained" else 1


async def promote(
    settings: Settings, version: int, reason: str | None, out: TextIO = sys.stdout
) -> int:
    async with _models(settings) as (service, catalog):
        try:
            promoted = await service.promote(version, _origin(), SystemClock().now(), reason)
        except PromotionRefused as refused:
            _say(catalog, out, f"nlu_admin.refused.{refused.reason}")
            return 1
        _line(out, dataclasses.asdict(promoted))
        return 0


async def restore(settings: Settings, out: TextIO = sys.stdout) -> int:
    async with _models(settings) as (service, catalog):
        try:
            restored = await service.restore(_origin(), SystemClock().now())
        except PromotionRefused as refused:
            _say(catalog, out, f"nlu_admin.refused.{refused.reason}")
            return 1
        _line(out, dataclasses.asdict(restored))
        return 0


async def models(settings: Settings, out: TextIO = sys.stdout) -> int:
    async with open_storage(settings) as storage:
        for version in await SqlModelVersions(storage.database).all():
            _line(out, dataclasses.asdict(version))
    return 0
