"""Turning a phone screenshot into what Tesseract reads best: dark text on a white page, at a
size it was trained on, without the status bar.

Tesseract's own binarisation expects dark text on a light page. A screenshot has light text on
dark (dark mode), white text in coloured bubbles next to dark text in grey ones, and a status
bar of icons that it reads as stray letters. So each part of the page is taken by the colour
behind it (the median of 8x8 blocks): on a light background the ink is what a closing (a max
then a min filter wider than a stroke) removes, on a dark one what an opening removes. That
makes every polarity and bubble colour dark-on-white at once, and leaves out the edges of
bubbles and bars, which a plain threshold would read as brackets and bars. The status bar is
cut off when the picture is phone-shaped and its top line is a thin band of its own, and small
text is scaled to about TARGET_X_HEIGHT.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

# Tesseract reads best at an x-height of 20-30 px (its training data); phone text at a
# screenshot's full resolution is already there, a photo Telegram shrank to 1280 px is not.
# 24 and 30 read alike on bench/ocr.py's screenshots; the smaller picture takes less time.
TARGET_X_HEIGHT = 26
# A line's ink (ascenders to descenders) is about this much of its x-height in UI fonts
# (DejaVu Sans: x-height 0.55 em, ink 0.95 em... 1 em).
LINE_TO_X_HEIGHT = 0.55
MAX_SCALE = 3.0
MIN_SCALE = 0.5
# Formats a phone or a messenger produces; anything else is refused before decoding.
FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "MPO"})


class NotAnImage(Exception):
    pass


class TooLarge(Exception):
    pass


class TooSmall(Exception):
    """Too few pixels for a line of text (a sticker-sized thumbnail, a 1x1 tracking pixel)."""


# The smallest side a picture can have and still hold a readable line of text.
MIN_SIDE = 16


@dataclass(frozen=True, slots=True)
class Prepared:
    image: Image.Image
    scale: float
    cropped_top: int
    inverted_share: float  # how much of the page was light text on dark (for the bench)


def open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """The decoded image, refused before decoding when it is not a picture or has more than
    `max_pixels` (the header tells; a small file can hold a huge picture)."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise TooLarge(str(exc)) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise NotAnImage(str(exc)) from None
    if image.format not in FORMATS:
        raise NotAnImage(f"format {image.format}")
    if image.width * image.height > max_pixels:
        raise TooLarge(f"{image.width}x{image.height}")
    try:
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from None
    return image


def grey(image: Image.Image) -> Image.Image:
    """Greyscale, upright (a photo's EXIF turn), transparent parts on white."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        page = Image.new("RGBA", rgba.size, "white")
        page.alpha_composite(rgba)
        image = page
    return image.convert("L")


BLOCK = 8


def block_medians(page: np.ndarray[Any, np.dtype[np.uint8]]) -> Image.Image:
    """The median of each 8x8 block: the colour behind the text there (text is the minority
    of a block's pixels, so unlike an average it does not tint the result)."""
    height, width = (page.shape[0] // BLOCK) * BLOCK, (page.shape[1] // BLOCK) * BLOCK
    blocks = page[:height, :width].reshape(height // BLOCK, BLOCK, width // BLOCK, BLOCK)
    medians = np.median(blocks.transpose(0, 2, 1, 3).reshape(*blocks.shape[::2], -1), axis=2)
    # A block filled by a bold letter is not background: its neighbours, 72 px around for a
    # title's 50 px letters, decide.
    return Image.fromarray(medians.astype(np.uint8)).filter(ImageFilter.MedianFilter(9))


def _part(array: np.ndarray[Any, Any], axis: int, start: int, stop: int) -> np.ndarray[Any, Any]:
    """array[start:stop] along `axis`, without a copy."""
    index: list[slice] = [slice(None), slice(None)]
    index[axis] = slice(start, stop)
    return array[tuple(index)]


def _slide(
    page: np.ndarray[Any, np.dtype[np.uint8]], size: int, pick: Any
) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A size x size max or min filter (`pick` is np.maximum or np.minimum), as two
    one-dimensional passes, each from windows doubled in width (1, 2, 4, 8...): a few whole-
    array operations instead of one per pixel of the window."""
    half = size // 2
    out = page
    for axis in (0, 1):
        padding = [(0, 0), (0, 0)]
        padding[axis] = (half, half)
        padded = np.pad(out, padding, mode="edge")
        length = out.shape[axis]

        # windows[w][i] is the max (or min) of padded[i : i + w].
        width, window = 1, padded
        result: np.ndarray[Any, Any] | None = None
        covered = 0
        remaining = size
        while remaining:
            if remaining & width:
                piece = _part(window, axis, covered, covered + length)
                result = piece if result is None else pick(result, piece)
                covered += width
                remaining -= width
            if remaining:
                span = window.shape[axis] - width
                window = pick(
                    _part(window, axis, 0, span), _part(window, axis, width, width + span)
                )
                width *= 2
        assert result is not None
        out = result
    return out


def dark_on_white(page: Image.Image) -> tuple[Image.Image, float]:
    """Text as dark on white whatever its colours. Where the background is light, the ink is
    what a closing (a max then a min filter wider than a stroke) removes, that is dark
    strokes; where it is dark (dark mode, a coloured bubble), what an opening removes, light
    strokes. Both keep the edges of bubbles and bars, so those do not read as letters.
    Returns it with the share of the page whose background was dark."""
    pixels = np.asarray(page, dtype=np.uint8)
    medians = block_medians(pixels)
    light = np.asarray(medians.resize(page.size, Image.Resampling.BILINEAR)) >= 128
    size = max(7, (min(page.size) // 60) | 1)
    closing = _slide(_slide(pixels, size, np.maximum), size, np.minimum)
    opening = _slide(_slide(pixels, size, np.minimum), size, np.maximum)
    ink = np.where(
        light, closing.astype(np.int16) - pixels, pixels.astype(np.int16) - opening
    ).clip(0, 255)
    strongest = max(32.0, float(np.percentile(ink[ink > 16], 90)) if (ink > 16).any() else 32.0)
    text = 255 - np.clip(ink * (255.0 / strongest), 0, 255)
    return Image.fromarray(text.astype(np.uint8)), float(1.0 - light.mean())


def ink_bands(text: Image.Image, threshold: int = 128) -> list[tuple[int, int]]:
    """Runs of rows holding dark pixels (lines of text, icons), top to bottom."""
    # A row's mean darkness after thresholding, computed by Pillow in one reduction.
    binary = text.point(lambda v: 255 if v < threshold else 0)
    rows = np.asarray(binary.resize((1, text.height), Image.Resampling.BOX))[:, 0]
    bands: list[tuple[int, int]] = []
    start: int | None = None
    for y, value in enumerate(rows):
        inked = value > 0
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, text.height))
    return bands


def status_bar_end(text: Image.Image, bands: list[tuple[int, int]]) -> int:
    """Where a phone's status bar ends, or 0: on a phone-shaped picture, a first band of ink
    that lies within the top 5% and is set apart from what follows."""
    if text.height < 1.6 * text.width or not bands:
        return 0
    first_start, first_end = bands[0]
    limit = text.height * 0.05
    if first_start > limit * 0.8 or first_end > limit:
        return 0
    following = bands[1][0] if len(bands) > 1 else text.height
    gap = following - first_end
    return first_end + gap // 2 if gap >= (first_end - first_start) * 0.3 else 0


def scale_for(bands: list[tuple[int, int]]) -> float:
    """The factor that brings the typical line to TARGET_X_HEIGHT."""
    heights = sorted(end - start for start, end in bands if end - start >= 4)
    if not heights:
        return 1.0
    typical = heights[len(heights) // 2]
    factor = TARGET_X_HEIGHT / (typical * LINE_TO_X_HEIGHT)
    # Within 20% of the target is close enough: resampling costs time and sharpness.
    if 0.8 <= factor <= 1.25:
        return 1.0
    return max(MIN_SCALE, min(MAX_SCALE, factor))


def prepare(data: bytes, max_pixels: int) -> Prepared:
    page = grey(open_checked(data, max_pixels))
    if min(page.size) < MIN_SIDE:
        raise TooSmall(f"{page.width}x{page.height}")
    text, dark = dark_on_white(page)
    bands = ink_bands(text)
    top = status_bar_end(text, bands)
    if top:
        text = text.crop((0, top, text.width, text.height))
        bands = [(start - top, end - top) for start, end in bands if start >= top]
    factor = scale_for(bands)
    if factor != 1.0:
        size = (round(text.width * factor), round(text.height * factor))
        # Enlarged text must not exceed the pixel limit either (time grows with pixels).
        if size[0] * size[1] <= max_pixels:
            text = text.resize(size, Image.Resampling.LANCZOS)
        else:
            factor = 1.0
    return Prepared(text, factor, top, dark)
