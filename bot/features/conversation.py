"""The conversation's own feature: greeting, help, the menus, the user's language and region,
the answers of data/answers/ (summary, sections, sources), small talk, /cancel, and what is
said when a message reaches no feature (did you mean, the fallback, a service not offered)."""

from __future__ import annotations

import dataclasses

from bot.content.catalog import FALLBACK_TOPIC, Catalog
from bot.content.models import Answer
from bot.core import callbacks
from bot.core.campaign import CampaignThemes, NoStoredThemes, theme_for
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import Clock, Conversations, Users
from bot.core.registry import Registration
from bot.core.understanding import Reading
from bot.features.sources import sources_reply
from bot.features.subscribe import TipsFeature
from bot.services.nlu_review import NluReviewService
from bot.services.unanswered import UnansweredService

# Service topics answered with a fixed string of the catalog.
SMALL_TALK = {
    "greet": "reply.greet",
    "goodbye": "reply.goodbye",
    "thank": "reply.thank",
    "bot_challenge": "reply.bot_challenge",
}
MENU_GROUPS = ("threat", "prevention", "sme")
MENU_TOPICS = ("report_incident", "ecsm_info")


class ConversationFeature:
    def __init__(
        self,
        catalog: Catalog,
        users: Users,
        conversations: Conversations,
        clock: Clock,
        tips: TipsFeature,
        unanswered: UnansweredService,
        campaign_themes: CampaignThemes | None = None,
        review: NluReviewService | None = None,
    ) -> None:
        self.catalog = catalog
        self.users = users
        self.conversations = conversations
        self.clock = clock
        # /settings shows the tips' settings under the region line.
        self.tips = tips
        self.unanswered = unanswered
        self.campaign_themes = campaign_themes or NoStoredThemes()
        # The NLU's review queue (issue 18): unsure answers, and "that didn't help" taps.
        self.review = review

    def registration(self) -> Registration:
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
            actions=frozenset({"l", "m", "lm", "t", "s", "src", "set", "rgl", "rg", "nh"}),
            callback=self.callback,
        )

    # --- what reaches no feature ----------------------------------------------------------

    def did_you_mean(self, turn: Turn, reading: Reading) -> Outcome | None:
        """The topics the NLU could not choose between, as buttons; None when one of them has
        no answer in this language."""
        lang = turn.language
        buttons = tuple(
            (Button(self._title(lang, topic), data=callbacks.encode("t", topic)),)
            for topic in reading.alternatives
            if self.catalog.answer(lang, topic)
        )
        if len(buttons) != len(reading.alternatives):
            return None
        reply = Reply(self.catalog.text(lang, "nlu.did_you_mean"), buttons=buttons)
        return Outcome((reply,), lang, events=("ambiguous",))

    async def unrouted(self, turn: Turn, reading: Reading) -> Outcome:
        """A topic no feature serves: its answer, the fallback (recorded), or a service the bot
        recognises but cannot offer in this build."""
        lang, topic = turn.language, reading.topic
        if self.catalog.answer(lang, topic):
            if self.review is None or not turn.incoming.text:
                return self._answer_outcome(lang, topic)
            now = self.clock.now()
            kept, write = await self.review.answered_later(
                turn.incoming.text, lang, reading, now, turn.incoming.user_id
            )
            outcome = self._answer_outcome(lang, topic, kept)
            if write is None:
                return outcome
            # The row behind the button is written once the reply is on its way.
            return dataclasses.replace(outcome, after=(write,))
        if topic == FALLBACK_TOPIC:
            text, now = turn.incoming.text or "", self.clock.now()

            async def record() -> None:
                await self.unanswered.record(text, lang, reading, now)

            reply = Reply(self.catalog.text(lang, "nlu.fallback"))
            # The reply needs nothing of the two rows (the unanswered list, the review queue):
            # they are written once it is on its way (a unit of work: four round trips on
            # PostgreSQL, the writers' queue on SQLite), before the update counts as handled.
            return Outcome(
                (reply, self.menu(lang)), lang, topic=topic, events=("fallback",), after=(record,)
            )
        reply = Reply(self.catalog.text(lang, "nlu.not_available_here"))
        return Outcome((reply, self.menu(lang)), lang, topic=topic)

    def with_menu(self, turn: Turn, key: str, event: str) -> Outcome:
        """A catalog text followed by the menu (the NLU being away, say)."""
        reply = Reply(self.catalog.text(turn.language, key))
        return Outcome((reply, self.menu(turn.language)), turn.language, events=(event,))

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
        return Outcome((greeting, self.menu(lang)), lang, events=("start",))

    async def _help(self, turn: Turn) -> Outcome:
        lang = turn.language
        return Outcome((Reply(self.catalog.text(lang, "help.text")), self.menu(lang)), lang)

    async def _menu_command(self, turn: Turn) -> Outcome:
        return Outcome((self.menu(turn.language),), turn.language)

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
            (Reply(self.catalog.text(turn.language, "org.cancelled")), self.menu(turn.language)),
            turn.language,
        )

    # --- buttons --------------------------------------------------------------------------

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        lang = turn.language
        match data.action, data.args:
            case "l", (code,) if code in self.catalog.languages:
                await self.users.set_language(turn.incoming.user_id, code)
                text = self.catalog.text(code, "language.changed", language=self._name(code))
                return Outcome((Reply(text), self.menu(code)), code, events=("language",))
            case "m", ():
                return Outcome((self.menu(lang),), lang)
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
            case "nh", (item,) if item.isdigit() and self.review is not None:
                # Only the user the answer went to is heard; a forged button is thanked alike
                # (nothing tells a forger whether the id exists) and changes nothing.
                await self.review.not_helpful(int(item), turn.incoming.user_id)
                reply = Reply(self.catalog.text(lang, "review.not_helpful_thanks"))
                return Outcome((reply, self.menu(lang)), lang, events=("not_helpful",))
        return None

    # --- intents --------------------------------------------------------------------------

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

    def _name(self, language: str) -> str:
        return self.catalog.languages[language].native_name

    def _title(self, lang: str, topic: str) -> str:
        answer = self.catalog.answer(lang, topic)
        return answer.title if answer else topic

    def menu(self, lang: str) -> Reply:
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

    def _answer_outcome(self, lang: str, topic: str, kept: int | None = None) -> Outcome:
        """`kept`: the review queue's id of the typed message answered, for its "that didn't
        help" button (none under an answer chosen from the menu)."""
        answer = self.catalog.answer(lang, topic)
        assert answer is not None  # callers check
        text = f"<b>{answer.title}</b>\n\n{answer.summary}"
        buttons = self._answer_buttons(lang, answer, -1)
        if kept is not None:
            label = self.catalog.text(lang, "button.not_helpful")
            buttons += ((Button(label, data=callbacks.encode("nh", kept)),),)
        return Outcome((Reply(text, buttons=buttons),), lang, topic=topic)

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
        return sources_reply(self.catalog, lang, answer.sources)
