""" "Is this a scam?" in the chat: a verdict on a message the user received, pasted, forwarded or
as a screenshot, with each red flag named and quoted, what to do now and where to report it; the
follow-up "I already clicked / paid / gave a code"; keeping the message, scrubbed, only when the
user taps to agree.

`/check` asks for the message. Without it, every free text and image is screened (the
registry's `screen`): a forwarded message, an image or one with the marks of a likely scam is
checked at once; a suspicious one gets its usual answer plus a one-tap offer to check it."""

from __future__ import annotations

import re

from babel.dates import format_date

from bot.content.catalog import Catalog
from bot.core import callbacks
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import (
    CheckedMessage,
    Clock,
    Conversations,
    ImageReader,
    ImageUnreadable,
    PendingInput,
)
from bot.core.registry import Registration, Screening
from bot.core.scam.received import received_or_question
from bot.core.scam.rules import MAX_TEXT, Flag
from bot.features.sources import sources_reply
from bot.services.scamcheck import ScamCheckService, Verdict
from bot.text.markup import escape

ACTION = "sc"
# After a verdict: what may be kept (scrubbed) until the user agrees, and typed follow-ups.
CHECKED_FLOW = "scam"
# /check without a message: the next message is the one to check.
ASK_FLOW = "scam_ask"
SHOWN_OCR_CHARACTERS = 600  # of the text read from a screenshot, shown back to the user
# A message that is only an address (no words around it) is left to the link check.
_LINK = re.compile(r"\S*[./]\S*")
_LETTER = re.compile(r"[^\W\d_]")


class ScamCheckFeature:
    def __init__(
        self,
        catalog: Catalog,
        service: ScamCheckService,
        conversations: Conversations,
        clock: Clock,
        reader: ImageReader | None = None,
    ) -> None:
        self.catalog = catalog
        self.service = service
        self.conversations = conversations
        self.clock = clock
        self.reader = reader

    def registration(self) -> Registration:
        return Registration(
            "scamcheck",
            commands={"check": self.command},
            actions=frozenset({ACTION}),
            callback=self.callback,
            flows={CHECKED_FLOW: self.after_check, ASK_FLOW: self.asked},
            screen=self.screen,
        )

    # --- entry points ---------------------------------------------------------------------

    async def command(self, turn: Turn) -> Outcome:
        """/check with the message, or without it (then the bot asks for one)."""
        text = " ".join(turn.incoming.args).strip()
        if text:
            return await self.check(turn, text)
        await self.conversations.set(
            turn.incoming.user_id, PendingInput(ASK_FLOW, {}), self.clock.now()
        )
        return Outcome((Reply(self.catalog.text(turn.language, "check.ask")),), turn.language)

    async def asked(self, turn: Turn, pending: PendingInput, text: str) -> Outcome:
        await self.conversations.clear(turn.incoming.user_id)
        return await self.check(turn, text)

    async def after_check(self, turn: Turn, pending: PendingInput, text: str) -> Outcome | None:
        """A typed "I already paid" after a verdict gets the urgent steps; anything else is a
        new message."""
        language = pending.data.get("language", turn.language)
        followup = self.service.followup(text, language) or self.service.followup(
            text, turn.language
        )
        if followup is None:
            return None
        return self._followup(turn.language, followup)

    async def screen(self, turn: Turn) -> Screening:
        if turn.incoming.image is not None:
            return Screening(outcome=await self._image(turn, turn.incoming.image))
        text = (turn.incoming.text or "").strip()
        if not text:
            return Screening()
        if not _LETTER.search(_LINK.sub("", text)):
            return Screening()  # only an address: the link check answers it
        # The dialogue read the message's language already (its own, when the message makes
        # it clear, else the user's: what language_of would say again) and screens it in it.
        language = turn.language
        # Every free-text message passes here: the rules alone decide (rules_verdict), so the
        # learned scorer is left for the verdict of a message that is checked.
        assessment = self.service.assess(text, language, turn.incoming.links, learned=False)
        match received_or_question(assessment, turn.incoming.forwarded):
            case "received":
                return Screening(outcome=await self.check(turn, text, language))
            case "unsure" if not self._links_only(assessment.flags, language):
                # Kept as sent until the tap (or the next question): the check needs the
                # numbers and addresses that keeping it would scrub.
                pending = PendingInput(
                    CHECKED_FLOW, {"candidate": text[:MAX_TEXT], "language": language}
                )
                await self.conversations.set(turn.incoming.user_id, pending, self.clock.now())
                button = Button(
                    self.catalog.text(turn.language, "check.offer_button"),
                    data=callbacks.encode(ACTION, "go"),
                )
                offer = Reply(self.catalog.text(turn.language, "check.offer"), ((button,),))
                return Screening(offer=offer)
        return Screening()

    def _links_only(self, flags: tuple[Flag, ...], language: str) -> bool:
        """Only the links raised a flag: the link check, which answers the message anyway,
        says all there is to say."""
        by_links = {s.id for s in self.service.engine(language).rules.signals if s.links}
        return all(flag.id in by_links for flag in flags)

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        lang = turn.language
        match data.args:
            case ("go",):
                pending = await self.conversations.get(turn.incoming.user_id)
                if pending is None or "candidate" not in pending.data:
                    return None
                return await self.check(turn, pending.data["candidate"])
            case ("keep",):
                return await self._keep(turn)
            case ("f", followup) if any(
                f.id == followup for f in self.service.engine(lang).rules.followups
            ):
                return self._followup(lang, followup)
            case ("src",):
                return Outcome((self._sources(lang),), lang)
        return None

    # --- the check ------------------------------------------------------------------------

    async def check(self, turn: Turn, text: str, language: str | None = None) -> Outcome:
        """`language`: the message's, when the caller read it already."""
        language = language or self.service.language_of(text, turn.language)
        verdict = await self.service.check(text, language, turn.incoming.links)
        return await self._verdict(turn, verdict, ())

    async def _image(self, turn: Turn, image: bytes) -> Outcome:
        lang = turn.language
        if self.reader is None:
            return Outcome((Reply(self.catalog.text(lang, "check.no_ocr")),), lang)
        try:
            read = await self.reader.read(image, tuple(self.catalog.languages))
        except ImageUnreadable as exc:
            reply = Reply(self.catalog.text(lang, f"check.image.{exc.reason}"))
            return Outcome((reply,), lang, events=(f"image_{exc.reason}",))
        caption = (turn.incoming.text or "").strip()
        text = f"{caption}\n{read}".strip() if caption else read.strip()
        if not text:
            return Outcome((Reply(self.catalog.text(lang, "check.image.no_text")),), lang)
        language = self.service.language_of(text, lang)
        verdict = await self.service.check(text, language, turn.incoming.links)
        shown = read.strip()
        if len(shown) > SHOWN_OCR_CHARACTERS:
            shown = shown[: SHOWN_OCR_CHARACTERS - 1] + "…"
        what_i_read = Reply(self.catalog.text(verdict.language, "check.image.read", text=shown))
        return await self._verdict(turn, verdict, (what_i_read,))

    async def _verdict(self, turn: Turn, verdict: Verdict, before: tuple[Reply, ...]) -> Outcome:
        # The verdict is given in the message's language, as the rest of a free-text answer.
        lang = verdict.language
        rules = self.service.engine(lang).rules
        text = self.catalog.text
        lines = [text(lang, f"check.verdict.{verdict.verdict}")]
        if verdict.alert is not None:
            locale = self.catalog.languages[lang].babel_locale
            published = format_date(verdict.alert.published, format="long", locale=locale)
            lines += [
                "",
                text(lang, "check.alert", date=published, title=verdict.alert.title),
                escape(verdict.alert.advice),
            ]
        if verdict.flags:
            lines += ["", text(lang, "check.flags_title")]
            for flag in verdict.flags:
                lines.append(text(lang, "check.flag", name=flag.name, quote=flag.quote))
                lines.append(flag.advice)
        if verdict.genuine:
            lines += ["", text(lang, "check.genuine_title")]
            lines += [
                text(lang, "check.genuine", name=m.name, quote=m.quote) for m in verdict.genuine
            ]
        menu = Button(text(lang, "button.menu"), data="m")
        sources = Button(text(lang, "button.sources"), data=callbacks.encode(ACTION, "src"))
        followups = tuple(
            (Button(f.button, data=callbacks.encode(ACTION, "f", f.id)),) for f in rules.followups
        )
        replies = [*before]
        if verdict.verdict == "no_red_flags":
            replies.append(Reply("\n".join(lines), buttons=((sources, menu),)))
        else:
            replies.append(Reply("\n".join(lines)))
            replies.append(
                Reply(f"{rules.act_now}\n\n{rules.report}", buttons=(*followups, (sources, menu)))
            )
        user = turn.incoming.user_id
        if self.service.keeps:
            kept = self.service.to_keep(verdict)
            pending = PendingInput(
                CHECKED_FLOW,
                {
                    "language": kept.language,
                    "kept": kept.text,
                    "verdict": kept.verdict,
                    "score": str(kept.score),
                    "flags": ",".join(kept.flags),
                },
            )
            keep = Button(text(lang, "check.keep_button"), data=callbacks.encode(ACTION, "keep"))
            replies.append(Reply(text(lang, "check.keep_offer"), buttons=((keep,),)))
        else:
            pending = PendingInput(CHECKED_FLOW, {"language": verdict.language})
        await self.conversations.set(user, pending, self.clock.now())
        events = (f"scam_{verdict.verdict}",) + (("scam_alert",) if verdict.alert else ())
        return Outcome(tuple(replies), lang, events=events)

    async def _keep(self, turn: Turn) -> Outcome | None:
        user = turn.incoming.user_id
        pending = await self.conversations.get(user)
        if pending is None or pending.flow != CHECKED_FLOW or "kept" not in pending.data:
            return None
        data = pending.data
        message = CheckedMessage(
            text=data["kept"],
            language=data["language"],
            verdict=data["verdict"],
            score=int(data["score"]),
            flags=tuple(f for f in data["flags"].split(",") if f),
        )
        await self.service.keep(user, message, self.clock.now())
        # Kept once: a second tap finds nothing to keep.
        await self.conversations.set(
            user, PendingInput(CHECKED_FLOW, {"language": data["language"]}), self.clock.now()
        )
        reply = Reply(self.catalog.text(turn.language, "check.kept"))
        return Outcome((reply,), turn.language, events=("scam_kept",))

    def _followup(self, lang: str, followup: str) -> Outcome:
        rules = self.service.engine(lang).rules
        steps = next(f.steps for f in rules.followups if f.id == followup)
        menu = Button(self.catalog.text(lang, "button.menu"), data="m")
        return Outcome(
            (Reply(f"{steps}\n\n{rules.report}", buttons=((menu,),)),),
            lang,
            events=(f"scam_followup_{followup}",),
        )

    def _sources(self, lang: str) -> Reply:
        return sources_reply(self.catalog, lang, self.service.engine(lang).rules.sources)
