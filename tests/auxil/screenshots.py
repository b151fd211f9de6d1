"""Phone screenshots drawn with Pillow and the bundled DejaVu fonts, for the OCR tests and
bench/ocr.py: an SMS or chat thread (sender in the title bar, received and sent bubbles), in
light or dark mode, with or without the status bar (clock, signal, battery), at a phone's
resolution or shrunk the way Telegram compresses a photo."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from tests.auxil.environment import ROOT

FONTS = ROOT / "data" / "fonts"

Mode = Literal["light", "dark"]
Style = Literal["sms", "chat"]

# (background, title bar, title text, received bubble, received text, sent bubble, sent text)
PALETTES: dict[tuple[Style, Mode], tuple[str, str, str, str, str, str, str]] = {
    # Android Messages-like: grey received bubbles, blue sent ones.
    ("sms", "light"): ("#ffffff", "#f2f2f7", "#000000", "#e9e9eb", "#000000", "#1a73e8", "#ffffff"),
    ("sms", "dark"): ("#000000", "#1c1c1e", "#ffffff", "#2c2c2e", "#ffffff", "#0a84ff", "#ffffff"),
    # Viber-like: white received bubbles on a tinted wall, violet sent ones.
    ("chat", "light"): (
        "#e6ddd4",
        "#7360f2",
        "#ffffff",
        "#ffffff",
        "#1f1f1f",
        "#7360f2",
        "#ffffff",
    ),
    ("chat", "dark"): ("#121b22", "#1f2c34", "#e9edef", "#1f2c34", "#e9edef", "#005c4b", "#e9edef"),
}


@dataclass(frozen=True)
class Bubble:
    text: str
    sent: bool = False  # the phone's owner wrote it (right, coloured), or received it (left)


@dataclass(frozen=True)
class Screenshot:
    image: bytes
    # What a perfect reader would find: the sender, then each bubble (not the status bar).
    text: str
    width: int
    height: int


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """The lines a phone shows: words kept whole, broken where the next would not fit."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and face.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return [line for line in lines if line]


def render_chat(
    sender: str,
    bubbles: Sequence[Bubble],
    *,
    mode: Mode = "light",
    style: Style = "sms",
    width: int = 1080,
    text_px: int = 44,
    status_bar: bool = True,
    image_format: str = "PNG",
    shrink_to: int | None = None,
) -> Screenshot:
    """A screenshot of a conversation with `sender`. `text_px` is the font size in pixels at
    `width` (44 at 1080 is a phone's default body text, an x-height of about 24 px);
    `shrink_to` scales the longer side down to that many pixels (Telegram sends photos at
    1280), after drawing."""
    background, bar, bar_text, in_bubble, in_text, out_bubble, out_text = PALETTES[(style, mode)]
    body = font(text_px)
    title = font(int(text_px * 1.15), bold=True)
    small = font(int(text_px * 0.7))
    pad = int(text_px * 0.55)
    line_height = int(text_px * 1.3)
    bubble_width = int(width * 0.72)

    laid_out = [(bubble, wrap(bubble.text, body, bubble_width - 2 * pad)) for bubble in bubbles]
    status_height = int(width * 0.067) if status_bar else 0
    title_height = int(text_px * 3.2)
    height = status_height + title_height + pad * 2
    for _, lines in laid_out:
        height += len(lines) * line_height + 2 * pad + int(pad * 1.4)
    height = max(height + pad * 4, int(width * 1.9))  # a phone's shape, empty wall below

    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    # The status bar takes the title bar's colour, as messaging apps draw it.
    draw.rectangle((0, 0, width, status_height + title_height), fill=bar)
    if status_bar:
        _status_bar(draw, width, status_height, bar_text, small)
    top = status_height
    # The back arrow and the avatar, as a messaging app draws them.
    mid = top + title_height // 2
    draw.line((pad * 2, mid, pad * 3, mid - pad), fill=bar_text, width=4)
    draw.line((pad * 2, mid, pad * 3, mid + pad), fill=bar_text, width=4)
    radius = int(title_height * 0.3)
    cx = pad * 5 + radius
    draw.ellipse((cx - radius, mid - radius, cx + radius, mid + radius), fill="#8e8e93")
    draw.text((cx + radius + pad * 2, mid), sender, font=title, fill=bar_text, anchor="lm")

    y = top + title_height + pad * 2
    for bubble, lines in laid_out:
        text_width = max(body.getlength(line) for line in lines)
        box_width = int(text_width) + 2 * pad
        box_height = len(lines) * line_height + 2 * pad - (line_height - text_px)
        left = width - pad * 2 - box_width if bubble.sent else pad * 2
        fill, ink = (out_bubble, out_text) if bubble.sent else (in_bubble, in_text)
        draw.rounded_rectangle(
            (left, y, left + box_width, y + box_height), radius=int(text_px * 0.8), fill=fill
        )
        for index, line in enumerate(lines):
            draw.text((left + pad, y + pad + index * line_height), line, font=body, fill=ink)
        y += box_height + int(pad * 1.4)

    if shrink_to is not None and max(image.size) > shrink_to:
        factor = shrink_to / max(image.size)
        image = image.resize(
            (round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"quality": 87} if image_format == "JPEG" else {}))
    words = [sender] + [bubble.text for bubble in bubbles]
    return Screenshot(buffer.getvalue(), "\n".join(words), image.width, image.height)


def _status_bar(
    draw: ImageDraw.ImageDraw, width: int, height: int, ink: str, face: ImageFont.FreeTypeFont
) -> None:
    """The clock on the left; signal bars, Wi-Fi and the battery on the right."""
    mid = height // 2
    draw.text((int(width * 0.06), mid), "9:41", font=face, fill=ink, anchor="lm")
    unit = max(3, height // 12)
    right = width - int(width * 0.05)
    # Battery: an outline with a charge level, and the percentage before it.
    battery = (right - unit * 9, mid - unit * 2, right, mid + unit * 2)
    draw.rounded_rectangle(battery, radius=unit, outline=ink, width=max(2, unit // 2))
    draw.rectangle(
        (battery[0] + unit, battery[1] + unit, right - unit * 3, battery[3] - unit), fill=ink
    )
    draw.text((battery[0] - unit * 2, mid), "87%", font=face, fill=ink, anchor="rm")
    # Signal: four bars of rising height.
    x = battery[0] - unit * 2 - int(face.getlength("87%")) - unit * 12
    for bar in range(4):
        draw.rectangle(
            (
                x + bar * unit * 2,
                mid + unit * 2 - bar * unit,
                x + bar * unit * 2 + unit,
                mid + unit * 2,
            ),
            fill=ink,
        )


def image_document(image: bytes, image_format: str) -> bytes:
    """The same picture in another format (a screenshot sent as a file keeps PNG, a photo is
    JPEG)."""
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(image)) as picture:
        picture.convert("RGB").save(buffer, format=image_format)
    return buffer.getvalue()
