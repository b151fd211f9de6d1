"""Link checking from the user's side: a verdict with its reasons for each address in a message
(or a forwarded one), and how to check through the official channel."""

from __future__ import annotations

from bot.content.catalog import Catalog
from bot.core import callbacks
from bot.core.links import (
    MAX_LINKS,
    FoundLink,
    LinkChecker,
    LinkReport,
    links_in,
)
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import Clock, Conversations, PendingInput
from bot.core.registry import Registration, ignoring_reading
from bot.text.markup import escape

LINK_FLOW = "link"
CLICKED_TOPIC, CLICKED_SECTION = "phishing", "act_now"
# Signals whose words count something, and the value (named in links.py) they agree with.
SIGNAL_COUNTS = {"long": "length", "deep_subdomains": "count"}


class LinkFeature:
    def __init__(
        self, catalog: Catalog, checker: LinkChecker, conversations: Conversations, clock: Clock
    ) -> None:
        self.catalog = catalog
        self.checker = checker
        self.conversations = conversations
        self.clock = clock

    def links_in(
        self, text: str, hidden: tuple[tuple[str, str | None], ...] = ()
    ) -> list[FoundLink]:
        """Addresses the user sent: hidden behind text (Telegram's text links) and in the text."""
        return links_in(text, hidden, self.checker.split)

    def registration(self) -> Registration:
        return Registration(
            "links",
            commands={"checklink": self.command},
            intents={"check_link": ignoring_reading(self.ask)},
            actions=frozenset({"lk"}),
            callback=self.callback,
            flows={LINK_FLOW: self.pending_input},
        )

    async def command(self, turn: Turn) -> Outcome:
        """/checklink with the address, or without it (then the bot asks for one)."""
        links = self.links_in(" ".join(turn.incoming.args))
        if links:
            return self.verdicts(turn, links)
        return await self.ask(turn)

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        if data.action == "lk" and not data.args:
            return await self.ask(turn)
        return None

    async def ask(self, turn: Turn) -> Outcome:
        pending = PendingInput(LINK_FLOW, {})
        await self.conversations.set(turn.incoming.user_id, pending, self.clock.now())
        reply = Reply(self.catalog.text(turn.language, "link.ask"))
        return Outcome((reply,), turn.language, topic="check_link")

    async def pending_input(self, turn: Turn, pending: PendingInput, text: str) -> Outcome | None:
        await self.conversations.clear(turn.incoming.user_id)
        links = self.links_in(text)
        if not links:
            return None
        return self.verdicts(turn, links)

    def verdicts(self, turn: Turn, links: list[FoundLink]) -> Outcome:
        lang = turn.language
        reports = [self.checker.check(link) for link in links[:MAX_LINKS]]
        replies = [Reply(self._render(lang, report)) for report in reports]
        if len(links) > MAX_LINKS:
            replies.append(Reply(self.catalog.plural(lang, "link.more", MAX_LINKS)))
        clicked = self._clicked_button(lang)
        advice = Reply(
            self.catalog.text(lang, "link.verify"),
            buttons=((clicked,), (Button(self.catalog.text(lang, "button.menu"), data="m"),))
            if clicked
            else ((Button(self.catalog.text(lang, "button.menu"), data="m"),),),
        )
        replies.append(advice)
        events = tuple(f"link_{report.verdict}" for report in reports)
        return Outcome(tuple(replies), lang, topic="check_link", events=events)

    def _render(self, lang: str, report: LinkReport) -> str:
        text = self.catalog.text
        default = self.catalog.default_language
        brand = report.brand.name_in(lang, default) if report.brand else ""
        headline = text(lang, f"link.verdict.{report.verdict}", brand=brand)
        lines = [headline, f"<code>{escape(report.shown)}</code>"]
        if report.signals:
            lines.append("")
            lines.append(text(lang, "link.reasons"))
            for signal in report.signals:
                values = dict(signal.values)
                if signal.brand is not None:
                    values["brand"] = signal.brand.name_in(lang, default)
                lines.append("• " + self._signal_text(lang, signal.key, **values))
        return "\n".join(lines)

    def _signal_text(self, lang: str, key: str, **values: str) -> str:
        counted = SIGNAL_COUNTS.get(key)
        if counted is None:
            return self.catalog.text(lang, f"link.signal.{key}", **values)
        count = int(values.pop(counted))
        return self.catalog.plural(lang, f"link.signal.{key}", count, **values)

    def _clicked_button(self, lang: str) -> Button | None:
        answer = self.catalog.answer(lang, CLICKED_TOPIC)
        if answer is None:
            return None
        index = next((i for i, s in enumerate(answer.sections) if s.key == CLICKED_SECTION), None)
        if index is None:
            return None
        return Button(
            self.catalog.text(lang, "link.clicked"),
            data=callbacks.encode("s", CLICKED_TOPIC, index),
        )
