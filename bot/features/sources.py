"""The list of official sources behind something the bot said (an answer, the message check's
advice), each with the date it was checked, and a button back to the menu."""

from __future__ import annotations

import html
from collections.abc import Iterable

from babel.dates import format_date

from bot.content.catalog import Catalog
from bot.content.models import Source
from bot.core.messages import Button, Reply
from bot.text.markup import escape


def sources_reply(catalog: Catalog, lang: str, sources: Iterable[Source]) -> Reply:
    locale = catalog.languages[lang].babel_locale
    lines = [
        catalog.html(
            lang,
            "answer.source_line",
            url=html.escape(str(source.url), quote=True),
            title=escape(source.title),
            checked=format_date(source.checked, format="long", locale=locale),
        )
        for source in sources
    ]
    text = catalog.text(lang, "answer.sources_title") + "\n" + "\n".join(lines)
    return Reply(text, buttons=((Button(catalog.text(lang, "button.menu"), data="m"),),))
