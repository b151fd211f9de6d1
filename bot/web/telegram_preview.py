"""An announcement as Telegram shows it, for the composer's preview: the Telegram HTML the
chat accepts (checked first by bot.core.announcements.check_text, the chat's own check) turned
into the browser's HTML, tag for tag, with nothing else let through: every tag Telegram knows
becomes its look-alike (a spoiler a hidden span, a quote a blockquote), text is escaped and a
link keeps only its address. Line breaks are kept by the page's style, as Telegram keeps them."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from markupsafe import Markup

# Telegram's tags and what the preview shows for each.
_AS = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "span",
    "a": "a",
}
_LINKS = ("https://", "http://", "tg://")


class _Preview(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        shown = _AS.get(tag)
        if shown is None:  # check_text refused it already; never shown
            return
        self.open.append(tag)
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(_LINKS):
                self.out.append(
                    f'<a href="{escape(href, quote=True)}" rel="noopener noreferrer" '
                    'target="_blank">'
                )
            else:
                self.out.append("<a>")
        elif tag == "tg-spoiler":
            self.out.append('<span class="tg-spoiler">')
        else:
            self.out.append(f"<{shown}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _AS and tag in self.open:
            while self.open:
                opened = self.open.pop()
                self.out.append(f"</{_AS[opened]}>")
                if opened == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def telegram_html(text: str) -> Markup:
    """`text` (Telegram HTML) as safe HTML for the preview."""
    parser = _Preview()
    parser.feed(text)
    parser.close()
    parser.out.extend(f"</{_AS[tag]}>" for tag in reversed(parser.open))
    # Safe: every text is escaped above and only the tags of _AS are written, by us.
    return Markup("".join(parser.out))  # noqa: S704
