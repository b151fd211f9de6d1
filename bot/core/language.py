"""Which supported language a message is written in, when the message itself makes it clear."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

from bot.content.models import LanguageMeta

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@functools.lru_cache(maxsize=4096)
def _script(char: str) -> str | None:
    # Asked for every character of every free-text message (up to three times each: the
    # dialogue, the message check's screening, the NLU's reading); a message uses few distinct
    # characters, so they are looked up once.
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script.capitalize()
    return None


def detect_language(text: str, languages: Mapping[str, LanguageMeta]) -> str | None:
    """The language of `text`, or None when it is unclear (the caller then uses the user's).

    A script that only one supported language is written in decides alone (Cyrillic means
    Bulgarian today). Otherwise frequent words decide, which also recognises Bulgarian typed in
    Latin letters ("kakvo e fishing").
    """
    scripts = Counter(s for s in map(_script, text) if s)
    if not scripts:
        return None
    dominant, _ = scripts.most_common(1)[0]
    native = [lang for lang, meta in languages.items() if meta.script == dominant]
    if dominant != "Latin" and len(native) == 1:
        return native[0]
    words = [w.lower() for w in _WORD.findall(text)]
    scores = sorted(
        ((sum(w in meta.markers for w in words), lang) for lang, meta in languages.items()),
        reverse=True,
    )
    if scores and scores[0][0] > 0 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return scores[0][1]
    return None
