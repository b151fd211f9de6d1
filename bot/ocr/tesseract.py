"""The ImageReader port with Tesseract (Debian's tesseract-ocr, bul and eng data) through
pytesseract: the screenshot prepared with Pillow (bot/ocr/prepare.py), then read in page
segmentation mode 4 (one column of lines of different sizes: a chat thread), Cyrillic and
Latin together.

It runs off the event loop in a small thread pool: Tesseract itself is a process of its own
(so the bot's interpreter keeps running), and Pillow and NumPy release the GIL while they
work on pixels. Tesseract runs at a lower priority (nice) with one OpenMP thread: on a
small machine its threads would otherwise fight each other and the bot for the cores (three
times slower on 2 cores). Limits: the file's bytes, the picture's pixels (read from its
header before decoding), and the time from asking to answer (Tesseract is killed then).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytesseract

from bot.content.catalog import Catalog
from bot.core.ports import ImageUnreadable
from bot.ocr.prepare import NotAnImage, TooLarge, TooSmall, prepare
from bot.ocr.scripts import fix_mixed_scripts
from bot.settings import Settings

log = logging.getLogger(__name__)

# The language codes of the catalog and Tesseract's names for their trained data.
TESSERACT_LANGUAGES = {"bg": "bul", "en": "eng"}
REQUIRED = ("bul", "eng")
CONFIG = "--psm 4"
NICE = 10
# Fewer letters or digits than this is no text (a photo, a meme, an icon).
MIN_CHARACTERS = 3


@dataclass(frozen=True, slots=True)
class OcrLimits:
    max_bytes: int
    max_pixels: int
    timeout: float  # seconds from asking to the text, waiting in the queue included
    workers: int = 1


@functools.cache
def installed_languages(command: str = "tesseract") -> frozenset[str]:
    """The trained data Tesseract has, or nothing when it is not installed or does not run."""
    pytesseract.pytesseract.tesseract_cmd = command
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        return frozenset()


def ocr_available(command: str = "tesseract", required: Sequence[str] = REQUIRED) -> bool:
    """Tesseract runs and has the data of every language the bot reads screenshots in."""
    return set(required) <= installed_languages(command)


def tesseract_languages(languages: Sequence[str], installed: frozenset[str]) -> str:
    """`bul+eng` for ("bg", "en"): the user's language first, every installed one after it
    (a Bulgarian message quotes Latin links and brands, an English one may come from a
    Bulgarian bank)."""
    wanted = [TESSERACT_LANGUAGES[code] for code in languages if code in TESSERACT_LANGUAGES]
    wanted += [name for name in REQUIRED if name not in wanted]
    return "+".join(name for name in wanted if name in installed) or "eng"


# What an app's icons read as on their own (the back arrow, an avatar's circle).
ICON = re.compile(r"[<>©®«»]+")
# A lone capital I, which Tesseract often takes for a bar.
BAR = re.compile(r"(?<!\S)\|(?!\S)")
# "+ 359": Tesseract parts the plus from a phone number.
PLUS = re.compile(r"\+ (?=\d)")


def clean(text: str) -> str:
    """Lines as read, without empty ones, stray spaces or icons, each word in one script."""
    lines = (
        BAR.sub("I", PLUS.sub("+", " ".join(w for w in line.split() if not ICON.fullmatch(w))))
        for line in text.splitlines()
    )
    return "\n".join(fix_mixed_scripts(line) for line in lines if line)


def read_screenshot(
    image: bytes, language: str, limits: OcrLimits, deadline: float, command: str
) -> str:
    """What runs in the pool: prepare, then Tesseract with what is left of the time."""
    try:
        prepared = prepare(image, limits.max_pixels)
    except TooLarge:
        raise ImageUnreadable("too_large") from None
    except NotAnImage:
        raise ImageUnreadable("not_an_image") from None
    except TooSmall:
        raise ImageUnreadable("no_text") from None
    left = deadline - time.monotonic()
    if left <= 0:
        raise ImageUnreadable("timeout")
    pytesseract.pytesseract.tesseract_cmd = command
    try:
        text = pytesseract.image_to_string(
            prepared.image, lang=language, config=CONFIG, nice=NICE, timeout=left
        )
    except RuntimeError as exc:  # pytesseract's "Tesseract process timeout", after the kill
        if "timeout" in str(exc).lower():
            raise ImageUnreadable("timeout") from None
        raise
    except pytesseract.TesseractError as exc:
        # Tesseract refused the picture Pillow made of it: the operator's to know, once, without
        # the picture; the user is asked for another one or the text.
        log.warning(
            "Tesseract failed on a %dx%d screenshot: status %s", *prepared.image.size, exc.status
        )
        raise ImageUnreadable("not_an_image") from None
    return clean(str(text))


class TesseractReader:
    """ImageReader: a screenshot's text, read in a thread pool within the limits."""

    def __init__(self, limits: OcrLimits, command: str = "tesseract") -> None:
        self.limits = limits
        self.command = command
        self._pool = ThreadPoolExecutor(limits.workers, thread_name_prefix="ocr")
        # One OpenMP thread per Tesseract (see the module's docstring); the pool's size is the
        # parallelism. Tesseract is the only OpenMP program this process starts.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    async def read(self, image: bytes, languages: Sequence[str]) -> str:
        if len(image) > self.limits.max_bytes:
            raise ImageUnreadable("too_large")
        language = tesseract_languages(languages, installed_languages(self.command))
        deadline = time.monotonic() + self.limits.timeout
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(
            self._pool, read_screenshot, image, language, self.limits, deadline, self.command
        )
        try:
            # A moment more than the deadline: Tesseract is killed at it and says so itself.
            text = await asyncio.wait_for(job, self.limits.timeout + 1.0)
        except TimeoutError:
            raise ImageUnreadable("timeout") from None
        if len(re.findall(r"\w", text)) < MIN_CHARACTERS:
            raise ImageUnreadable("no_text")
        return text

    def shutdown(self) -> None:
        """Stop taking screenshots; one being read finishes (blocking: call from a thread)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def image_reader(settings: Settings) -> TesseractReader | None:
    """The screenshot reader for the settings, or None where Tesseract or its Bulgarian and
    English data are missing (the chat then asks for the text instead)."""
    if not ocr_available(settings.tesseract_cmd):
        log.warning(
            "OCR is off: %s with the %s data is not installed (README, Requirements)",
            settings.tesseract_cmd,
            "+".join(REQUIRED),
        )
        return None
    limits = OcrLimits(
        settings.ocr_max_bytes, settings.ocr_max_pixels, settings.ocr_timeout, settings.ocr_workers
    )
    return TesseractReader(limits, settings.tesseract_cmd)


def ocr_status(settings: Settings, catalog: Catalog) -> str:
    """What `ecsm-bot check` says about screenshot reading, in the default language."""
    language = catalog.default_language
    if not ocr_available(settings.tesseract_cmd):
        return catalog.text(language, "ocr.off")
    installed = installed_languages(settings.tesseract_cmd)
    return catalog.text(
        language, "ocr.on", languages=tesseract_languages(list(catalog.languages), installed)
    )
