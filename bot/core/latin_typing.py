"""Which language a message is in when it is typed in Latin letters, and the NLU asked with
such words read back into the language's script first (the readers are bot/text/latin.py)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.content.models import LanguageMeta
from bot.core.language import detect_language
from bot.core.ports import NLU, Parse
from bot.text.latin import LatinReader

# The part of a message's words that must read as a language when its marker words are silent.
MIN_SHARE = 0.6


class ReadingNLU:
    """The NLU, asked with each message's Latin-typed words read into its language's script
    first, when the message itself says which language it is in. Every entrypoint that parses
    goes through it, and the training data is read the same way (bot/nlu/prepare.py)."""

    def __init__(
        self,
        nlu: NLU,
        readers: Mapping[str, LatinReader],
        languages: Mapping[str, LanguageMeta],
    ) -> None:
        self.nlu = nlu
        self.readers = readers
        self.languages = languages

    def text_for(self, text: str) -> str:
        return read_message(text, self.languages, self.readers)

    async def parse(self, text: str) -> Parse:
        return await self.nlu.parse(self.text_for(text))


def read_message(
    text: str, languages: Mapping[str, LanguageMeta], readers: Mapping[str, LatinReader]
) -> str:
    """The message with its Latin-typed words read into its language's script, as the NLU is
    asked it (and a message is matched against scam alerts, bot/core/alerts.py); unchanged
    when the message does not say it is in a language with a reader."""
    # Only a message that is itself in the language is read: an English message from a
    # Bulgarian user must not become "из" and "ват".
    language = message_language(text, languages, readers)
    reader = readers.get(language) if language is not None else None
    return reader.read(text) if reader is not None else text


def message_language(
    text: str, languages: Mapping[str, LanguageMeta], readers: Mapping[str, LatinReader]
) -> str | None:
    """The language a message is written in, when the message makes it clear: by its script or
    marker words (bot/core/language.py), else, for Latin letters, the language at least
    MIN_SHARE of whose words they spell and that are no English words ("spri savetite")."""
    language = detect_language(text, languages)
    if language is not None:
        return language
    shares = [(reader.share(text), lang) for lang, reader in readers.items()]
    share, best = max(shares, default=(0.0, None))
    return best if best is not None and share >= MIN_SHARE else None
