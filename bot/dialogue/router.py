"""The conversation: one Incoming in, an Outcome of replies out. The dialogue only routes: flood
control, the user's language, then the feature that registered the command, the button's action
or the pending question, or, for free text, the intent the NLU read. The features are built by
bot/bootstrap.py. No channel, database or HTTP library is imported here; everything outside is
reached through the ports."""

from __future__ import annotations

import dataclasses

from bot.content.catalog import Catalog
from bot.core import callbacks, eager
from bot.core.flood import FloodControl, Verdict
from bot.core.messages import Incoming, Outcome, Reply, Turn, finish
from bot.core.ports import (
    Clock,
    Conversations,
    FirstReads,
    NLUUnavailable,
    PendingInput,
    StatsSource,
    UserRecord,
    Users,
)
from bot.core.registry import Registry
from bot.core.understanding import Reading
from bot.dialogue.understanding import Understanding
from bot.features.roster import Features

MAX_TEXT = 4096  # Telegram never delivers more; the console is held to the same.


class Dialogue:
    def __init__(
        self,
        catalog: Catalog,
        features: Features,
        understanding: Understanding,
        *,
        users: Users,
        conversations: Conversations,
        topics: StatsSource,
        flood: FloodControl,
        clock: Clock,
        first_reads: FirstReads | None = None,
    ) -> None:
        self.catalog = catalog
        self.features = features
        self.understanding = understanding
        self.users = users
        self.conversations = conversations
        self.topics = topics  # every free-text topic is counted for /stats
        self.flood = flood
        self.clock = clock
        # The flood count, the user and the pending question of free text in one statement
        # (PostgreSQL); None: the three ports at once.
        self.first_reads = first_reads
        # Every command, intent, button action and flow has one owner; a second claim fails here,
        # at start-up.
        self.routes = Registry(features.registrations())

    @property
    def command_names(self) -> tuple[str, ...]:
        return tuple(self.routes.commands)

    async def handle(self, incoming: Incoming) -> Outcome:
        """The outcome of `incoming`, with every write it makes done."""
        outcome = await self.respond(incoming)
        if not outcome.after:
            return outcome
        await finish(outcome)
        return dataclasses.replace(outcome, after=())

    async def respond(self, incoming: Incoming) -> Outcome:
        """As `handle`, but writes the replies do not wait for are left in `outcome.after`:
        the caller runs them (`bot.core.messages.finish`) once it has handed the replies over
        and before it counts the message as handled (the Telegram channel)."""
        free_text = (
            incoming.command is None
            and incoming.callback is None
            and incoming.image is None
            and incoming.text is not None
        )
        language: str | None = None
        pending: PendingInput | None = None
        if free_text:
            # Free text: whether the bot asked a question decides how it is read, so the
            # pending question is read together with the user, and both together with the flood
            # count: one wait for the three (PostgreSQL's three round trips overlap; SQLite's
            # reads and the in-memory count need no wait at all, see bot.core.eager). A flooded
            # message's two reads are then wasted: reads by key, writing only what any message
            # writes for its user (the last-seen time, at most once a quarter hour; the row of a
            # user who has none).
            if self.first_reads is not None:
                verdict, user, pending = await self.first_reads.read(
                    incoming.user_id, self._platform_language(incoming), self.clock.now()
                )
                language = self._language_of(user, incoming)
            else:
                verdict, language, pending = await eager.gather(
                    self.flood.check(incoming.user_id, self.clock.now()),
                    self._user_language(incoming),
                    self.conversations.get(incoming.user_id),
                )
        else:
            verdict = await self.flood.check(incoming.user_id, self.clock.now())
        if verdict is not Verdict.ALLOW:
            # No NLU and nothing stored: a flood costs this check (and for free text the two
            # reads made with it).
            language = (
                self.catalog.language_for_platform_code(incoming.platform_language)
                or self.catalog.default_language
            )
            if verdict is Verdict.DROP:
                return Outcome((), language, events=("flood_dropped",))
            notice = Reply(self.catalog.text(language, "error.flood"))
            return Outcome((notice,), language, events=("flood_notice",))
        if incoming.image is not None and incoming.command is None and incoming.callback is None:
            # A screenshot: only a feature that reads received messages can answer it.
            turn = Turn(incoming, await self._user_language(incoming))
            for screen in self.routes.screens:
                screening = await screen(turn)
                if screening.outcome is not None:
                    return screening.outcome
            return self._outcome(
                turn, self.catalog.text(turn.language, "error.unsupported_message")
            )
        if free_text and language is not None:
            outcome = await self._free_text(Turn(incoming, language), pending)
            if outcome.topic is not None:
                await self.topics.count_topic(outcome.topic, self.clock.now())
            return outcome
        language = await self._user_language(incoming)
        turn = Turn(incoming, language)
        if incoming.command is not None:
            handler = self.routes.commands.get(incoming.command.lower())
            if handler is None:
                return self._outcome(turn, self.catalog.text(language, "error.unknown_command"))
            return await handler(turn)
        if incoming.callback is not None:
            return await self._callback(turn)
        return self._outcome(turn, self.catalog.text(language, "error.unsupported_message"))

    async def _user_language(self, incoming: Incoming) -> str:
        """The stored language, or for a new user the platform's (which is then stored)."""
        guess = self._platform_language(incoming)
        user = await self.users.touch(incoming.user_id, guess, self.clock.now())
        return self._language_of(user, incoming)

    def _platform_language(self, incoming: Incoming) -> str:
        return self.platform_language(incoming.platform_language)

    def platform_language(self, code: str | None) -> str:
        """The language a new user gets from the platform's language code."""
        return self.catalog.language_for_platform_code(code) or self.catalog.default_language

    def _language_of(self, user: UserRecord, incoming: Incoming) -> str:
        if user.language in self.catalog.languages:
            return user.language
        return self._platform_language(incoming)

    async def _callback(self, turn: Turn) -> Outcome:
        data = callbacks.decode(turn.incoming.callback or "")
        handler = self.routes.callbacks.get(data.action) if data else None
        outcome = await handler(turn, data) if handler and data else None
        if outcome is None:
            return self._outcome(turn, self.catalog.text(turn.language, "error.stale_button"))
        return outcome

    async def _free_text(self, turn: Turn, pending: PendingInput | None) -> Outcome:
        text = (turn.incoming.text or "").strip()
        lang = self.understanding.language_of(text, self.catalog.languages) or turn.language
        turn = Turn(turn.incoming, lang)
        if not text:
            return self._outcome(turn, self.catalog.text(lang, "error.unsupported_message"))
        if pending is not None:
            # The answer to a question the bot asked is read in the conversation's language.
            asked = Turn(turn.incoming, turn.language)
            flow = self.routes.flows.get(pending.flow)
            if flow is None:  # a flow this build no longer has: the text is a new message
                await self.conversations.clear(turn.incoming.user_id)
            else:
                answered = await flow(asked, pending, text)
                if answered is not None:
                    return answered
        # A message the user received (pasted, forwarded) is checked rather than answered; one
        # that may be either is answered, with a one-tap offer to check it.
        offer: Reply | None = None
        for screen in self.routes.screens:
            screening = await screen(turn)
            if screening.outcome is not None:
                return screening.outcome
            offer = offer or screening.offer
        outcome = await self._unscreened(turn, text)
        if offer is None:
            return outcome
        return dataclasses.replace(outcome, replies=(*outcome.replies, offer))

    async def _unscreened(self, turn: Turn, text: str) -> Outcome:
        lang = turn.language
        # A message with a link in it, typed or forwarded, gets the link checked first: that is
        # what people send a security bot a link for, and it needs no NLU.
        links = self.features.links.links_in(text, turn.incoming.links)
        if links:
            return self.features.links.verdicts(turn, links)
        if len(text) > MAX_TEXT:
            return self._outcome(turn, self.catalog.plural(lang, "error.too_long", MAX_TEXT))
        try:
            reading = await self.understanding.read(text)
        except NLUUnavailable:
            return self.features.conversation.with_menu(turn, "nlu.unavailable", "nlu_unavailable")
        return await self._respond(turn, reading)

    async def _respond(self, turn: Turn, reading: Reading) -> Outcome:
        conversation = self.features.conversation
        if reading.alternatives:
            asked = conversation.did_you_mean(turn, reading)
            if asked is not None:
                return asked
        intent = self.routes.intents.get(reading.topic)
        if intent is not None:
            return await intent(turn, reading)
        return await conversation.unrouted(turn, reading)

    def _outcome(self, turn: Turn, text: str) -> Outcome:
        return Outcome((Reply(text),), turn.language)
