"""What an announcement may be, whoever writes it (/announce in the chat, `ecsm-bot broadcast`):
its text and its optional link button are checked here, by one set of rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.messages import Button
from bot.text.markup import MESSAGE_LIMIT, check_markup, to_plain

BUTTON_LABEL_MAX = 40
# https only, and nothing that would end the address early in HTML or a client's link parser.
BUTTON_URL = re.compile(r"^https://[^\s<>\"']{4,500}$")


@dataclass(frozen=True, slots=True)
class TextProblem:
    """Why a text cannot be announced: `markup` (broken or unsupported HTML, `detail` says
    where), `empty`, or `too_long` (`length` is its length as plain text); `limit` is the most
    allowed, for `empty` and `too_long`."""

    code: str
    detail: str = ""
    length: int = 0
    limit: int = 0


def check_text(text: str) -> TextProblem | None:
    if not text.strip():
        return TextProblem("empty", limit=MESSAGE_LIMIT)
    problem = check_markup(text)
    if problem is not None:
        return TextProblem("markup", detail=problem)
    plain = to_plain(text)
    if len(plain) > MESSAGE_LIMIT:
        return TextProblem("too_long", length=len(plain), limit=MESSAGE_LIMIT)
    return None


def parse_button(spec: str) -> Button | None:
    """`Label|https://address` as a link button, or None when it is not one."""
    label, _, url = spec.partition("|")
    label, url = label.strip(), url.strip()
    if not label or len(label) > BUTTON_LABEL_MAX or not BUTTON_URL.match(url):
        return None
    return Button(label, url=url)
