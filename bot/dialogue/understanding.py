"""How the dialogue reads free text: the language it is written in (Latin-typed Bulgarian
included) and what it asks for (the NLU port, its scores read against the thresholds)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.content.models import LanguageMeta
from bot.core.latin_typing import message_language
from bot.core.ports import NLU
from bot.core.understanding import Reading, Thresholds, interpret
from bot.text.latin import LatinReader


@dataclass(frozen=True)
class Understanding:
    nlu: NLU
    thresholds: Thresholds
    # How each language is typed in Latin letters: tells the language of such a message.
    readers: Mapping[str, LatinReader] = field(default_factory=dict)

    def language_of(self, text: str, languages: Mapping[str, LanguageMeta]) -> str | None:
        return message_language(text, languages, self.readers)

    async def read(self, text: str) -> Reading:
        """Raises NLUUnavailable when the NLU does not answer."""
        return interpret(await self.nlu.parse(text), self.thresholds)
