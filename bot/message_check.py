"""`ecsm-bot check-message [--image FILE]`: the message check for organisers triaging a batch,
and the way its quality is measured. One message per line of stdin (or one screenshot) in, one
JSON object per message out: verdict, score, flags (ids and quoted parts), alert (the published
scam alert it matches), language and text (for an image, what OCR read). The same use case as
the chat (bot/services/scamcheck.py)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.bootstrap import open_storage, stored_alerts
from bot.content.domains import split_domain
from bot.content.typing import load_readers
from bot.core.ports import ImageUnreadable, SystemClock
from bot.ocr.tesseract import image_reader
from bot.services.scamcheck import ScamCheckService
from bot.settings import Settings


async def check_messages(
    settings: Settings,
    image: Path | None,
    lines: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    async with open_storage(settings) as storage:
        catalog = storage.catalog
        readers = await asyncio.to_thread(load_readers, settings.data_dir, catalog.languages)
        alerts = stored_alerts(settings, catalog, storage.database, SystemClock(), readers)
        service = ScamCheckService(
            catalog, split_domain, alerts=alerts, readers=readers, scorer_store=storage.scorers
        )
        texts: Iterable[str] = (line.strip() for line in lines)
        if image is not None:
            read = await _read_image(settings, image, tuple(catalog.languages), err)
            if read is None:
                return 2
            texts = read
        for text in texts:
            if not text:
                continue
            language = service.language_of(text, settings.default_language)
            verdict = await service.check(text, language)
            print(json.dumps(verdict.as_json(), ensure_ascii=False), file=out, flush=True)
    return 0


async def _read_image(
    settings: Settings, image: Path, languages: tuple[str, ...], err: TextIO
) -> list[str] | None:
    reader = image_reader(settings)
    if reader is None:
        print("OCR is off: Tesseract with its bul and eng data is not installed", file=err)
        return None
    try:
        data = await asyncio.to_thread(image.read_bytes)
    except OSError as exc:
        print(f"{image}: {exc.strerror or exc}", file=err)
        return None
    try:
        return [await reader.read(data, languages)]
    except ImageUnreadable as exc:
        print(f"{image}: the image could not be read ({exc.reason})", file=err)
        return None
    finally:
        await asyncio.to_thread(reader.shutdown)
