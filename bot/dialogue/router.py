"""The conversation: one Incoming in, an Outcome of replies out. No channel, database or HTTP
library is imported here; everything outside is reached through the ports."""

from __future__ import annotations

import asyncio
import html
import random
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.content.catalog import FALLBACK_TOPIC, Catalog
from bot.content.models import Answer
from bot.core import callbacks
from bot.core.campaign import CampaignThemes, NoStoredThemes, theme_for
from bot.core.flood import FloodControl, FloodGate, FloodLimit, Verdict
from bot.core.latin_typing import LatinReader, message_language
from bot.core.links import DomainSplitter, LinkChecker
from bot.core.markup import escape
from bot.core.messages import Button, Incoming, Outcome, Reply, Turn
from bot.core.ports import (
    NLU,
    ChecklistRuns,
    Clock,
    Conversations,
    EventPorts,
    NLUUnavailable,
    PendingInput,
    PersonalData,
    ReportRenderer,
    Subscriptions,
    Unanswered,
    Users,
)
from bot.core.registry import Registration, Registry
from bot.core.tips import TipsPolicy
from bot.core.understanding import Reading, Thresholds, interpret
from bot.features.checklists import ChecklistFeature
from bot.features.event_list import EventsFeature
from bot.features.linkcheck import LinkFeature
from bot.features.organising import OrganiserFeature
from bot.features.privacy import PrivacyFeature
from bot.features.quiz import QuizFeature
from bot.features.subscribe import TipsFeature
from bot.services.announcements import AnnouncementService
from bot.services.events import EventService
from bot.services.organisers import OrganiserService
from bot.services.unanswered import UnansweredService

MAX_TEXT = 4096  # Telegram never delivers more; the console is held to the same.

# Service topics answered with a fixed string of the catalog.
SMALL_TALK = {
    "greet": "reply.greet",
    "goodbye": "reply.goodbye",
    "thank": "reply.thank",
    "bot_challenge": "reply.bot_challenge",
}
MENU_GROUPS = ("threat", "prevention", "sme")
MENU_TOPICS = ("report_incident", "ecsm_info")


class Dialogue:
    def __init__(
        self,
        catalog: Catalog,
        nlu: NLU,
        users: Users,
        clock: Clock,
        thresholds: Thresholds,
        subscriptions: Subscriptions,
        conversations: Conversations,
        tips_policy: TipsPolicy,
        unanswered: Unanswered,
        *,
        checklist_runs: ChecklistRuns,
        personal_data: PersonalData,
        renderer: ReportRenderer,
        split_domain: DomainSplitter,
        event_ports: EventPorts,
        default_timezone: str,
        reminder_offsets: tuple[int, ...] = (24 * 60, 60),
        organisers: frozenset[int] = frozenset(),
        flood: FloodControl | None = None,
        retention_days: int = 30,
        rng: random.Random | None = None,
        campaign_themes: CampaignThemes | None = None,
        readers: Mapping[str, LatinReader] | None = None,
    ) -> None:
        self.catalog = catalog
        self.nlu = nlu
        # How each language is typed in Latin letters: tells the language of such a message.
        self.readers: Mapping[str, LatinReader] = readers or {}
        self.users = users
        self.clock = clock
        self.thresholds = thresholds
        self.conversations = conversations
        self.unanswered = unanswered
        self.unanswered_messages = UnansweredService(unanswered)
        self.organisers = organisers
        self.campaign_themes = campaign_themes or NoStoredThemes()
        self.flood = flood or FloodGate(FloodLimit())
        # DEFAULT_TIMEZONE: the clock of users who chose no zone of their own.
        default_zone = ZoneInfo(default_timezone)
        self.tips = TipsFeature(
            catalog, subscriptions, conversations, clock, tips_policy, default_zone
        )
        self.checklists = ChecklistFeature(catalog, checklist_runs, clock, renderer)
        self.quiz = QuizFeature(catalog, rng)
        self.privacy = PrivacyFeature(catalog, personal_data, clock, retention_days)
        self.links = LinkFeature(
            catalog, LinkChecker(catalog.links, split_domain), conversations, clock
        )
        self.events = EventsFeature(
            catalog,
            event_ports.events,
            event_ports.reminders,
            event_ports.deliveries,
            subscriptions,
            event_ports.calendar,
            clock,
            reminder_offsets,
            default_zone=default_zone,
        )
        # Saving an event is one use case, whoever saves: the chat, the command line, start-up.
        self.event_service = EventService(event_ports.events, event_ports.audit, self.events)
        self.organising = OrganiserFeature(
            catalog,
            organisers,
            event_ports.roles,
            event_ports.audit,
            event_ports.events,
            self.events,
            event_ports.broadcasts,
            conversations,
            event_ports.stats,
            event_ports.charts,
            clock,
            self.event_service,
            AnnouncementService(event_ports.broadcasts, event_ports.audit),
            OrganiserService(event_ports.roles, event_ports.audit),
        )
        self.stats = event_ports.stats
        self.event_ports = event_ports
        # Every command, intent, button action and flow has one owner; a second claim fails here,
        # at start-up.
        self.routes = Registry(
            (
                self._registration(),
                self.tips.registration(),
                self.checklists.registration(),
                self.quiz.registration(),
                self.links.registration(),
                self.privacy.registration(),
                self.events.registration(),
                self.organising.registration(),
            )
        )

    def _registration(self) -> Registration:
        """The conversation's own: greeting, help, menus, languages, answers, settings."""
        return Registration(
            "conversation",
            commands={
                "start": self._start,
                "help": self._help,
                "language": self._language_menu,
                "menu": self._menu_command,
                "settings": self._settings,
                "cancel": self._cancel,
            },
            intents={
                "help": self._help_intent,
                "change_language": self._change_language,
                **dict.fromkeys(SMALL_TALK, self._small_talk),
            },
            actions=frozenset({"l", "m", "lm", "t", "s", "src", "set", "rgl", "rg"}),
            callback=self._conversation_callback,
        )

    @property
    def command_names(self) -> tuple[str, ...]:
        return tuple(self.routes.commands)

    async def handle(self, incoming: Incoming) -> Outcome:
        verdict = await self.flood.check(incoming.user_id, self.clock.now())
        if verdict is not Verdict.ALLOW:
            # No storage, no NLU: a flood costs nothing but this check.
            language = (
                self.catalog.language_for_platform_code(incoming.platform_language)
                or self.catalog.default_language
            )
            if verdict is Verdict.DROP:
                return Outcome((), language, events=("flood_dropped",))
            notice = Reply(self.catalog.text(language, "error.flood"))
            return Outcome((notice,), language, events=("flood_notice",))
        if incoming.command is None and incoming.callback is None and incoming.text is not None:
            # Free text: whether the bot asked a question decides how it is read, so the
            # pending question is read together with the user (two reads, one wait).
            language, pending = await asyncio.gather(
                self._user_language(incoming), self.conversations.get(incoming.user_id)
            )
            outcome = await self._free_text(Turn(incoming, language), pending)
            if outcome.topic is not None:
                await self.stats.count_topic(outcome.topic, self.clock.now())
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
        guess = (
            self.catalog.language_for_platform_code(incoming.platform_language)
            or self.catalog.default_language
        )
        user = await self.users.touch(incoming.user_id, guess, self.clock.now())
        return user.language if user.language in self.catalog.languages else guess

    # --- commands -------------------------------------------------------------------------

    async def _start(self, turn: Turn) -> Outcome:
        lang = turn.language
        other_languages = [
            Button(meta.native_name, data=callbacks.encode("l", code))
            for code, meta in self.catalog.languages.items()
            if code != lang
        ]
        subscribe = Button(self.catalog.text(lang, "start.subscribe_button"), data="sub")
        greeting = Reply(
            self.catalog.text(lang, "start.greeting")
            + "\n\n"
            + self.catalog.text(lang, "start.language", language=self._name(lang)),
            buttons=((*other_languages, subscribe),),
        )
        return Outcome((greeting, self._menu(lang)), lang, events=("start",))

    async def _help(self, turn: Turn) -> Outcome:
        lang = turn.language
        return Outcome((Reply(self.catalog.text(lang, "help.text")), self._menu(lang)), lang)

    async def _menu_command(self, turn: Turn) -> Outcome:
        return Outcome((self._menu(turn.language),), turn.language)

    async def _language_menu(self, turn: Turn) -> Outcome:
        lang = turn.language
        buttons = tuple(
            (Button(meta.native_name, data=callbacks.encode("l", code)),)
            for code, meta in self.catalog.languages.items()
        )
        text = self.catalog.text(lang, "language.prompt", language=self._name(lang))
        return Outcome((Reply(text, buttons=buttons),), lang)

    async def _settings(self, turn: Turn) -> Outcome:
        lang = turn.language
        user = await self.users.get(turn.incoming.user_id)
        region = user.region if user else None
        name = (
            self.catalog.region_name(lang, region)
            if region
            else self.catalog.text(lang, "settings.region_none")
        )
        line = Reply(
            self.catalog.text(lang, "settings.region", region=name),
            buttons=((Button(self.catalog.text(lang, "settings.change_region"), data="rgl"),),),
        )
        return await self.tips.settings(turn, line)

    def _region_list(self, lang: str) -> Reply:
        buttons = [
            Button(name, data=callbacks.encode("rg", key))
            for key, name in self.catalog.region_names(lang)
        ]
        rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
        return Reply(self.catalog.text(lang, "settings.choose_region"), buttons=tuple(rows))

    async def _cancel(self, turn: Turn) -> Outcome:
        """Leave whatever question the bot is waiting for."""
        await self.conversations.clear(turn.incoming.user_id)
        return Outcome(
            (Reply(self.catalog.text(turn.language, "org.cancelled")), self._menu(turn.language)),
            turn.language,
        )

    # --- buttons --------------------------------------------------------------------------

    async def _callback(self, turn: Turn) -> Outcome:
        data = callbacks.decode(turn.incoming.callback or "")
        handler = self.routes.callbacks.get(data.action) if data else None
        outcome = await handler(turn, data) if handler and data else None
        if outcome is None:
            return self._outcome(turn, self.catalog.text(turn.language, "error.stale_button"))
        return outcome

    async def _conversation_callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        lang = turn.language
        match data.action, data.args:
            case "l", (code,) if code in self.catalog.languages:
                await self.users.set_language(turn.incoming.user_id, code)
                text = self.catalog.text(code, "language.changed", language=self._name(code))
                return Outcome((Reply(text), self._menu(code)), code, events=("language",))
            case "m", ():
                return Outcome((self._menu(lang),), lang)
            case "lm", ():
                return await self._language_menu(turn)
            case "m", (group,) if group in MENU_GROUPS:
                return Outcome((self._group_menu(lang, group),), lang)
            case "t", (topic,) if self.catalog.answer(lang, topic):
                return self._answer_outcome(lang, topic)
            case "s", (topic, index) if index.isdigit():
                answer = self.catalog.answer(lang, topic)
                if answer and int(index) < len(answer.sections):
                    section = await self._section(lang, answer, int(index))
                    return Outcome((section,), lang, topic=topic)
            case "src", (topic,) if self.catalog.answer(lang, topic):
                return Outcome((self._sources(lang, topic),), lang, topic=topic)
            case "set", ():
                return await self._settings(turn)
            case "rgl", ():
                return Outcome((self._region_list(lang),), lang)
            case "rg", (region,) if region in self.catalog.regions:
                await self.users.set_region(turn.incoming.user_id, region)
                return await self._settings(turn)
        return None

    # --- free text ------------------------------------------------------------------------

    async def _free_text(self, turn: Turn, pending: PendingInput | None) -> Outcome:
        text = (turn.incoming.text or "").strip()
        lang = message_language(text, self.catalog.languages, self.readers) or turn.language
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
        # A message with a link in it, typed or forwarded, gets the link checked first: that is
        # what people send a security bot a link for, and it needs no NLU.
        links = self.links.links_in(text, turn.incoming.links)
        if links:
            return self.links.verdicts(turn, links)
        if len(text) > MAX_TEXT:
            return self._outcome(turn, self.catalog.plural(lang, "error.too_long", MAX_TEXT))
        try:
            parse = await self.nlu.parse(text)
        except NLUUnavailable:
            reply = Reply(self.catalog.text(lang, "nlu.unavailable"))
            return Outcome((reply, self._menu(lang)), lang, events=("nlu_unavailable",))
        return await self._respond(turn, interpret(parse, self.thresholds))

    async def _respond(self, turn: Turn, reading: Reading) -> Outcome:
        lang = turn.language
        if reading.alternatives:
            buttons = tuple(
                (Button(self._title(lang, topic), data=callbacks.encode("t", topic)),)
                for topic in reading.alternatives
                if self.catalog.answer(lang, topic)
            )
            if len(buttons) == len(reading.alternatives):
                reply = Reply(self.catalog.text(lang, "nlu.did_you_mean"), buttons=buttons)
                return Outcome((reply,), lang, events=("ambiguous",))
        topic = reading.topic
        intent = self.routes.intents.get(topic)
        if intent is not None:
            return await intent(turn, reading)
        if self.catalog.answer(lang, topic):
            return self._answer_outcome(lang, topic)
        if topic == FALLBACK_TOPIC:
            await self.unanswered_messages.record(
                turn.incoming.text or "", lang, reading, self.clock.now()
            )
            reply = Reply(self.catalog.text(lang, "nlu.fallback"))
            return Outcome((reply, self._menu(lang)), lang, topic=topic, events=("fallback",))
        # A service the bot recognises but cannot offer in this build.
        reply = Reply(self.catalog.text(lang, "nlu.not_available_here"))
        return Outcome((reply, self._menu(lang)), lang, topic=topic)

    async def _small_talk(self, turn: Turn, reading: Reading) -> Outcome:
        text = self.catalog.text(turn.language, SMALL_TALK[reading.topic])
        return Outcome((Reply(text),), turn.language, topic=reading.topic)

    async def _help_intent(self, turn: Turn, reading: Reading) -> Outcome:
        outcome = await self._help(turn)
        return Outcome(outcome.replies, turn.language, topic=reading.topic)

    async def _change_language(self, turn: Turn, reading: Reading) -> Outcome:
        wanted = next((e.value for e in reading.entities if e.name == "language"), None)
        if wanted is not None and wanted in self.catalog.languages:
            await self.users.set_language(turn.incoming.user_id, wanted)
            text = self.catalog.text(wanted, "language.changed", language=self._name(wanted))
            return Outcome((Reply(text),), wanted, topic="change_language", events=("language",))
        outcome = await self._language_menu(turn)
        return Outcome(outcome.replies, turn.language, topic="change_language")

    # --- rendering ------------------------------------------------------------------------

    def _outcome(self, turn: Turn, text: str) -> Outcome:
        return Outcome((Reply(text),), turn.language)

    def _name(self, language: str) -> str:
        return self.catalog.languages[language].native_name

    def _title(self, lang: str, topic: str) -> str:
        answer = self.catalog.answer(lang, topic)
        return answer.title if answer else topic

    def _menu(self, lang: str) -> Reply:
        rows: list[tuple[Button, ...]] = [
            (Button(self.catalog.text(lang, f"menu.group.{group}"), data=f"m:{group}"),)
            for group in MENU_GROUPS
        ]
        rows.append(
            (
                Button(self.catalog.text(lang, "menu.checklist"), data="ckl"),
                Button(self.catalog.text(lang, "menu.quiz"), data="qs"),
            )
        )
        rows.append(
            (
                Button(self.catalog.text(lang, "menu.link"), data="lk"),
                Button(self.catalog.text(lang, "menu.events"), data="el:0:x:a"),
            )
        )
        rows.extend(
            (Button(self._title(lang, topic), data=callbacks.encode("t", topic)),)
            for topic in MENU_TOPICS
            if self.catalog.answer(lang, topic)
        )
        return Reply(self.catalog.text(lang, "menu.prompt"), buttons=tuple(rows))

    def _group_menu(self, lang: str, group: str) -> Reply:
        topics = [t for t in self.catalog.taxonomy.groups[group] if self.catalog.answer(lang, t)]
        buttons = [Button(self._title(lang, t), data=callbacks.encode("t", t)) for t in topics]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((Button(self.catalog.text(lang, "button.back"), data="m"),))
        text = self.catalog.text(lang, f"menu.group.{group}.prompt")
        return Reply(text, buttons=tuple(rows))

    def _answer_outcome(self, lang: str, topic: str) -> Outcome:
        answer = self.catalog.answer(lang, topic)
        assert answer is not None  # callers check
        text = f"<b>{answer.title}</b>\n\n{answer.summary}"
        return Outcome(
            (Reply(text, buttons=self._answer_buttons(lang, answer, -1)),), lang, topic=topic
        )

    async def _section(self, lang: str, answer: Answer, index: int) -> Reply:
        section = answer.sections[index]
        body = await self._fill(lang, section.text)
        text = f"<b>{answer.title}: {section.label}</b>\n\n{body}"
        return Reply(text, buttons=self._answer_buttons(lang, answer, index))

    async def _fill(self, lang: str, text: str) -> str:
        """This year's theme: the organisers' (database), else data/campaign.yml's, else a
        sentence saying it is not set, never another year's."""
        if "{campaign_theme}" not in text:
            return text
        year = self.clock.now().year
        theme = await theme_for(
            year,
            lang,
            self.catalog.default_language,
            self.campaign_themes,
            self.catalog.campaign.themes,
        )
        if theme is None:
            line = self.catalog.text(lang, "campaign.no_theme", year=year)
        else:
            line = self.catalog.text(lang, "campaign.theme", year=year, theme=theme)
        return text.replace("{campaign_theme}", line)

    def _answer_buttons(
        self, lang: str, answer: Answer, shown: int
    ) -> tuple[tuple[Button, ...], ...]:
        section_buttons = [
            Button(section.label, data=callbacks.encode("s", answer.topic, i))
            for i, section in enumerate(answer.sections)
            if i != shown
        ]
        rows = [tuple(section_buttons[i : i + 2]) for i in range(0, len(section_buttons), 2)]
        rows.append(
            (
                Button(
                    self.catalog.text(lang, "button.sources"),
                    data=callbacks.encode("src", answer.topic),
                ),
                Button(self.catalog.text(lang, "button.menu"), data="m"),
            )
        )
        return tuple(rows)

    def _sources(self, lang: str, topic: str) -> Reply:
        answer = self.catalog.answer(lang, topic)
        assert answer is not None
        locale = self.catalog.languages[lang].babel_locale
        lines = [
            self.catalog.html(
                lang,
                "answer.source_line",
                url=html.escape(str(source.url), quote=True),
                title=escape(source.title),
                checked=format_date(source.checked, format="long", locale=locale),
            )
            for source in answer.sources
        ]
        text = self.catalog.text(lang, "answer.sources_title") + "\n" + "\n".join(lines)
        return Reply(text, buttons=((Button(self.catalog.text(lang, "button.menu"), data="m"),),))
