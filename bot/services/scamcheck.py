"""The message check as one use case, whoever asks: the chat, `ecsm-bot check-message` and, later,
the dashboard. A verdict on a message someone received (its red flags quoted, the links judged by
the link checker, a published scam alert it matches), and, with the user's consent, the message
kept scrubbed and without its sender."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.content.catalog import Catalog
from bot.core.alerts import AlertMatch
from bot.core.latin_typing import message_language
from bot.core.links import MAX_LINKS, DomainSplitter, LinkChecker, links_in
from bot.core.ports import CheckedMessage
from bot.core.scam.learned import ScorerStore
from bot.core.scam.rules import Assessment, Flag, Kind, Mark, ScamEngine
from bot.core.unanswered import scrub
from bot.core.unit_of_work import UnitsOfWork
from bot.text.latin import LatinReader

_CYRILLIC = frozenset("абвгдежзийклмнопрстуфхцчшщъьюяѝ")


def _strength(assessment: Assessment) -> tuple[bool, int]:
    return (any(not f.learned for f in assessment.flags), assessment.score)


class AlertLookup(Protocol):
    """Published scam alerts (bot/services/alerts.py): the one a message is a copy of, if any."""

    async def match(self, text: str, language: str) -> AlertMatch | None: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the check found. `verdict` is likely_scam when a published alert matches, whatever
    the score."""

    text: str
    language: str
    verdict: Kind
    score: int
    flags: tuple[Flag, ...]
    genuine: tuple[Mark, ...]
    alert: AlertMatch | None = None
    learned: float | None = None  # the learned scorer's probability, when it has examples

    def as_json(self) -> dict[str, object]:
        """The command line's row (`ecsm-bot check-message`)."""
        alert = None
        if self.alert is not None:
            alert = {
                "id": self.alert.alert_id,
                "title": self.alert.title,
                "published": self.alert.published.isoformat(),
                "similarity": round(self.alert.similarity, 1),
                "advice": self.alert.advice,
            }
        return {
            "verdict": self.verdict,
            "score": self.score,
            "flags": [{"id": f.id, "quote": f.quote} for f in self.flags],
            "genuine": [{"id": m.id, "quote": m.quote} for m in self.genuine],
            "alert": alert,
            "learned": None if self.learned is None else round(self.learned, 3),
            "language": self.language,
            "text": self.text,
        }


class ScamCheckService:
    def __init__(
        self,
        catalog: Catalog,
        split_domain: DomainSplitter,
        *,
        alerts: AlertLookup | None = None,
        units: UnitsOfWork | None = None,
        readers: Mapping[str, LatinReader] | None = None,
        scorer_store: ScorerStore | None = None,
    ) -> None:
        self.catalog = catalog
        self.split = split_domain
        self.checker = LinkChecker(catalog.links, split_domain)
        self.engines = {
            lang: ScamEngine(rules, catalog.links.brands, scorer_store=scorer_store)
            for lang, rules in catalog.scam.items()
        }
        self.alerts = alerts
        # Where checked messages are kept (a unit of work per message), when they may be.
        self.units = units
        self.readers: Mapping[str, LatinReader] = readers or {}

    @property
    def keeps(self) -> bool:
        """Whether checked messages can be kept (units of work were given)."""
        return self.units is not None

    def language_of(self, text: str, fallback: str) -> str:
        return message_language(text, self.catalog.languages, self.readers) or fallback

    def engine(self, language: str) -> ScamEngine:
        return self.engines.get(language) or self.engines[self.catalog.default_language]

    def assess(
        self,
        text: str,
        language: str,
        hidden: Sequence[tuple[str, str | None]] = (),
        *,
        learned: bool = True,
    ) -> Assessment:
        """The rules alone (no alert lookup): fast and pure, for deciding whether a message is
        one received at all."""
        engine = self.engine(language)
        found = links_in(text, hidden, self.split)[:MAX_LINKS]
        reports = [self.checker.check(link) for link in found]
        assessment = engine.assess(text, reports, learned=learned)
        reader = self.readers.get(engine.language)
        if reader is not None and not _CYRILLIC.intersection(text.lower()):
            # Bulgarian typed in Latin letters ("pratkata vi e zadarzhana"): the rules are
            # written in Cyrillic, so the message is read into it too, and the stronger kept:
            # the one where the rules found something (the learned scorer's own flag is only
            # for what they cannot read), then the higher score.
            read = reader.read(text)
            if read != text:
                in_script = engine.assess(read, reports, learned=learned)
                if _strength(in_script) > _strength(assessment):
                    assessment = in_script
        return assessment

    async def check(
        self, text: str, language: str, hidden: Sequence[tuple[str, str | None]] = ()
    ) -> Verdict:
        """The verdict on `text` (in `language`, as the caller found it); `hidden` are the
        addresses behind the text (Telegram's text links)."""
        assessment = self.assess(text, language, hidden)
        alert = await self.alerts.match(text, language) if self.alerts is not None else None
        return Verdict(
            text=text,
            language=assessment.language,
            verdict="likely_scam" if alert is not None else assessment.verdict,
            score=assessment.score,
            flags=assessment.flags,
            genuine=assessment.genuine,
            alert=alert,
            learned=assessment.learned,
        )

    def followup(self, text: str, language: str) -> str | None:
        """ "I already clicked / paid / gave a code", typed: which one, if any."""
        return self.engine(language).followup(text)

    def to_keep(self, verdict: Verdict) -> CheckedMessage:
        """What would be kept of a checked message: scrubbed of phone numbers, IBANs, card
        numbers, e-mail addresses and codes; the sender is never part of it."""
        return CheckedMessage(
            text=scrub(verdict.text),
            language=verdict.language,
            verdict=verdict.verdict,
            score=verdict.score,
            flags=tuple(f.id for f in verdict.flags),
        )

    async def keep(self, user_id: int, message: CheckedMessage, now: dt.datetime) -> None:
        """Keep a checked message, once the user agreed: one transaction. Scrubbed again here,
        so that nothing unscrubbed is stored whoever calls."""
        if self.units is None:
            raise RuntimeError("no store for checked messages was configured")
        clean = CheckedMessage(
            scrub(message.text), message.language, message.verdict, message.score, message.flags
        )
        async with self.units() as uow:
            await uow.checked_messages.keep(user_id, clean, now)
            await uow.commit()
