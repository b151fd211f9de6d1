"""Reading screenshots with the real Tesseract (bot/ocr): phone screenshots the tests draw
themselves (tests/auxil/screenshots.py), light and dark, Bulgarian and English, and the limits."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from bot.content.catalog import Catalog
from bot.core.ports import ImageUnreadable
from bot.ocr.prepare import prepare
from bot.ocr.scripts import fix_mixed_scripts
from bot.ocr.tesseract import (
    OcrLimits,
    TesseractReader,
    installed_languages,
    ocr_available,
    tesseract_languages,
)
from tests.auxil.cli import bot_env, run_bot
from tests.auxil.ocr import require_tesseract
from tests.auxil.screenshots import Bubble, render_chat

NEW_NUMBER = [
    Bubble("Мамо, смених си номера. Пиши ми във Вайбър на този, спешно е!"),
    Bubble("Кой си ти?", sent=True),
    Bubble("Аз съм, Иво. Прати ми 850 лв. по Revolut на +359 88 123 4567."),
]
PARCEL = [
    Bubble(
        "DHL: Your parcel is on hold due to an unpaid customs fee of 1.99 EUR. "
        "Pay within 24 hours at https://dhl-delivery-bg.com/pay"
    ),
    Bubble("Is this real?", sent=True),
]
LIMITS = OcrLimits(max_bytes=10_000_000, max_pixels=25_000_000, timeout=60.0)


@pytest.fixture(scope="module")
def reader() -> Iterator[TesseractReader]:
    require_tesseract()
    reader = TesseractReader(LIMITS)
    yield reader
    reader.shutdown()


def accuracy(expected: str, got: str) -> float:
    return 1 - Levenshtein.normalized_distance(" ".join(expected.split()), " ".join(got.split()))


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("style", ["sms", "chat"])
async def test_a_bulgarian_chat_is_read_in_light_and_dark_mode(
    reader: TesseractReader, mode: str, style: str
) -> None:
    shot = render_chat("+359 88 765 4321", NEW_NUMBER, mode=mode, style=style)  # type: ignore[arg-type]
    text = await reader.read(shot.image, ["bg", "en"])
    flat = " ".join(text.split())
    assert "смених си номера" in flat
    assert "Revolut" in flat
    assert "+359 88 123 4567" in flat
    assert accuracy(shot.text, text) >= 0.9
    # The status bar's clock and battery are cut off, not read as words.
    assert "9:41" not in text
    assert "87%" not in text


@pytest.mark.parametrize("mode", ["light", "dark"])
async def test_an_english_sms_shrunk_like_a_telegram_photo_is_read(
    reader: TesseractReader, mode: str
) -> None:
    shot = render_chat("DHL", PARCEL, mode=mode, image_format="JPEG", shrink_to=1280)  # type: ignore[arg-type]
    text = await reader.read(shot.image, ["en"])
    # The link in Latin letters only (no Cyrillic look-alike), as the link checker needs it.
    flat = " ".join(text.split())
    assert "https://dhl-delivery-bg.com/pay" in flat
    assert "customs fee" in flat
    assert accuracy(shot.text, text) >= 0.9


def test_small_text_is_scaled_up_and_dark_mode_comes_out_dark_on_white() -> None:
    shot = render_chat("DHL", PARCEL, mode="dark", shrink_to=1000)
    prepared = prepare(shot.image, LIMITS.max_pixels)
    assert prepared.scale > 1.5
    assert prepared.cropped_top > 0
    assert prepared.inverted_share > 0.9
    histogram = prepared.image.convert("L").histogram()
    assert sum(histogram[200:]) / sum(histogram) > 0.9  # a white page


async def test_a_file_over_the_byte_limit_is_refused_before_reading() -> None:
    reader = TesseractReader(OcrLimits(max_bytes=1000, max_pixels=10**7, timeout=5))
    try:
        with pytest.raises(ImageUnreadable) as refused:
            await reader.read(render_chat("DHL", PARCEL).image, ["en"])
        assert refused.value.reason == "too_large"
    finally:
        reader.shutdown()


async def test_a_picture_over_the_pixel_limit_is_refused_from_its_header() -> None:
    # 8000 x 8000 of one colour: a small file that would take 64 million pixels to decode.
    buffer = io.BytesIO()
    Image.new("L", (8000, 8000), 255).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 1_000_000
    reader = TesseractReader(OcrLimits(max_bytes=10**7, max_pixels=25_000_000, timeout=5))
    try:
        with pytest.raises(ImageUnreadable) as refused:
            await reader.read(buffer.getvalue(), ["en"])
        assert refused.value.reason == "too_large"
    finally:
        reader.shutdown()


async def test_what_is_not_an_image_is_refused(reader: TesseractReader) -> None:
    with pytest.raises(ImageUnreadable) as refused:
        await reader.read(b"%PDF-1.4 not a picture at all", ["en"])
    assert refused.value.reason == "not_an_image"


@pytest.mark.parametrize("size", [(1, 1), (15, 400), (400, 3)])
async def test_a_picture_too_small_for_text_says_so(
    reader: TesseractReader, size: tuple[int, int]
) -> None:
    # Found by the update fuzzer: a 1x1 photo broke the preparation instead of being answered.
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    with pytest.raises(ImageUnreadable) as refused:
        await reader.read(buffer.getvalue(), ["en"])
    assert refused.value.reason == "no_text"


async def test_a_picture_without_text_says_so(reader: TesseractReader) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 1600), "#3a6ea5").save(buffer, format="PNG")
    with pytest.raises(ImageUnreadable) as refused:
        await reader.read(buffer.getvalue(), ["bg"])
    assert refused.value.reason == "no_text"


async def test_reading_past_the_time_limit_is_stopped() -> None:
    require_tesseract()
    reader = TesseractReader(OcrLimits(max_bytes=10**7, max_pixels=25_000_000, timeout=0.001))
    try:
        with pytest.raises(ImageUnreadable) as refused:
            await reader.read(render_chat("DHL", PARCEL).image, ["en"])
        assert refused.value.reason == "timeout"
    finally:
        reader.shutdown()


def test_ocr_is_off_without_tesseract() -> None:
    assert not ocr_available("/nonexistent/tesseract")
    assert installed_languages("/nonexistent/tesseract") == frozenset()


def test_the_users_language_is_read_first_with_the_others_after_it() -> None:
    installed = frozenset({"bul", "eng", "osd"})
    assert tesseract_languages(["bg", "en"], installed) == "bul+eng"
    assert tesseract_languages(["en"], installed) == "eng+bul"
    assert tesseract_languages(["xx"], installed) == "bul+eng"
    assert tesseract_languages(["bg"], frozenset({"eng"})) == "eng"


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("https://dhl-bg.соm/pay", "https://dhl-bg.com/pay"),  # a Cyrillic о in .com
        ("Мамо, смeних си нoмeра", "Мамо, смених си номера"),  # Latin e and o in Bulgarian
        ("Pay в Revolut", "Pay в Revolut"),  # words in one script stay as they are
        ("Вашата пратка от DHL", "Вашата пратка от DHL"),
    ],
)
def test_each_word_is_in_one_script(read: str, meant: str) -> None:
    assert fix_mixed_scripts(read) == meant


def test_ecsm_bot_check_says_whether_ocr_is_on(tmp_path: Path, catalog: Catalog) -> None:
    database = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    off = run_bot(["check"], bot_env(database, TESSERACT_CMD="/nonexistent/tesseract"))
    assert off.returncode == 0, off.stderr
    assert catalog.text("en", "ocr.off") in off.stdout
    require_tesseract()
    on = run_bot(["check"], bot_env(database))
    assert on.returncode == 0, on.stderr
    before, after = catalog.text("en", "ocr.on", languages="|").split("|")
    assert before in on.stdout and after in on.stdout
    assert "bul" in on.stdout and "eng" in on.stdout
