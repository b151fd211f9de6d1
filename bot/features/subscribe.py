"""Daily tips from the user's side: subscribing (audience, time, time zone), settings,
unsubscribing and today's tip.

Every button carries the whole state of the flow so far (audience, minute, zone), so a restart or
another process continues any flow; only a typed custom time needs a row of pending input.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.content.catalog import TIP_AUDIENCES, Catalog
from bot.core import callbacks
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import Clock, Conversations, PendingInput, Subscriptions
from bot.core.registry import Registration, ignoring_reading
from bot.core.schedule import format_minute, parse_time_of_day
from bot.core.tips import TipsPolicy, tip_for, tip_reply
from bot.core.understanding import Reading
from bot.core.zones import viewer_zone, zone_label

PRESET_MINUTES = (7 * 60, 8 * 60, 12 * 60, 18 * 60, 20 * 60)
NO_MINUTE = "x"
CUSTOM_TIME_FLOW = "sub_time"


class TipsFeature:
    def __init__(
        self,
        catalog: Catalog,
        subscriptions: Subscriptions,
        conversations: Conversations,
        clock: Clock,
        policy: TipsPolicy,
        default_zone: ZoneInfo,
    ) -> None:
        self.catalog = catalog
        self.default_zone = default_zone  # DEFAULT_TIMEZONE, for users who chose none
        self.subscriptions = subscriptions
        self.conversations = conversations
        self.clock = clock
        self.policy = policy

    def registration(self) -> Registration:
        return Registration(
            "tips",
            commands={
                "subscribe": self.subscribe,
                "unsubscribe": self.unsubscribe,
                "tip": self.today,
            },
            intents={
                "subscribe_tips": self._subscribe_intent,
                "unsubscribe_tips": ignoring_reading(self.unsubscribe),
                "daily_tip": ignoring_reading(self.today),
            },
            # "set" (the settings button) is the conversation's: it adds the region line.
            actions=frozenset({"sub", "sa", "st", "so", "szl", "sz", "uo", "tip"}),
            callback=self.callback,
            flows={CUSTOM_TIME_FLOW: self.pending_input},
        )

    # --- entry points -----------------------------------------------------------------------

    async def _subscribe_intent(self, turn: Turn, reading: Reading) -> Outcome:
        said = next((e.value for e in reading.entities if e.name == "time"), None)
        return await self.subscribe(turn, parse_time_of_day(said) if said else None)

    async def subscribe(self, turn: Turn, minute: int | None = None) -> Outcome:
        return self._out(turn, self._ask_audience(turn.language, minute))

    async def unsubscribe(self, turn: Turn) -> Outcome:
        stopped = await self.subscriptions.deactivate(turn.incoming.user_id, self.clock.now())
        key = "sub.unsubscribed" if stopped else "sub.not_subscribed"
        return self._out(turn, Reply(self.catalog.text(turn.language, key)), "unsubscribed")

    async def today(self, turn: Turn) -> Outcome:
        sub = await self.subscriptions.get(turn.incoming.user_id)
        audience = sub.audience if sub else TIP_AUDIENCES[0]
        zone = viewer_zone(sub.timezone if sub else None, self.default_zone)
        day = self.clock.now().astimezone(zone).date()
        tip = tip_for(self.catalog, self.policy, turn.language, audience, day)
        return self._out(turn, tip_reply(self.catalog, turn.language, tip, day))

    async def settings(self, turn: Turn, region: Reply | None = None) -> Outcome:
        """/settings; `region` is the line and button of the user's region, from the caller
        that knows it."""
        outcome = await self._settings(turn)
        if region is None:
            return outcome
        reply = outcome.replies[0]
        merged = Reply(
            reply.text + "\n" + region.text,
            buttons=(*reply.buttons[:-1], *region.buttons, *reply.buttons[-1:]),
        )
        return Outcome((merged,), outcome.language, outcome.topic, outcome.events)

    async def _settings(self, turn: Turn) -> Outcome:
        lang = turn.language
        sub = await self.subscriptions.get(turn.incoming.user_id)
        text = self.catalog.text
        if sub is None or not sub.active:
            body = text(lang, "settings.text_off", language=self._language_name(lang))
            buttons: tuple[tuple[Button, ...], ...] = (
                (Button(text(lang, "settings.subscribe"), data="sub"),),
                (Button(text(lang, "settings.change_language"), data="lm"),),
            )
            return self._out(turn, Reply(body, buttons=buttons))
        body = text(
            lang,
            "settings.text_on",
            audience=text(lang, f"sub.audience.{sub.audience}"),
            time=format_minute(sub.send_minute),
            zone=self._zone_label(lang, sub.timezone),
            language=self._language_name(lang),
        )
        minute = str(sub.send_minute)
        buttons = (
            (Button(text(lang, "settings.change_audience"), data=callbacks.encode("sub", minute)),),
            (
                Button(
                    text(lang, "settings.change_time"),
                    data=callbacks.encode("sa", sub.audience, NO_MINUTE),
                ),
            ),
            (
                Button(
                    text(lang, "settings.change_zone"),
                    data=callbacks.encode("szl", sub.audience, minute),
                ),
            ),
            (Button(text(lang, "settings.change_language"), data="lm"),),
            (Button(text(lang, "settings.unsubscribe"), data="uo"),),
        )
        return self._out(turn, Reply(body, buttons=buttons))

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        lang = turn.language
        match data.action, data.args:
            case "sub", ():
                return await self.subscribe(turn)
            case "sub", (minute,) if _minute(minute) is not None:
                return await self.subscribe(turn, _minute(minute))
            case "sa", (audience, minute) if audience in TIP_AUDIENCES:
                if minute == NO_MINUTE:
                    return self._out(turn, self._ask_time(lang, audience))
                if _minute(minute) is not None:
                    return await self._ask_zone(turn, audience, int(minute))
            case "st", (audience, minute) if (
                audience in TIP_AUDIENCES and _minute(minute) is not None
            ):
                return await self._ask_zone(turn, audience, int(minute))
            case "so", (audience,) if audience in TIP_AUDIENCES:
                pending = PendingInput(CUSTOM_TIME_FLOW, {"audience": audience})
                await self.conversations.set(turn.incoming.user_id, pending, self.clock.now())
                return self._out(turn, Reply(self.catalog.text(lang, "sub.ask_custom_time")))
            case "szl", (audience, minute) if (
                audience in TIP_AUDIENCES and _minute(minute) is not None
            ):
                return self._out(turn, self._zone_list(lang, audience, int(minute)))
            case "sz", (audience, minute, index) if (
                audience in TIP_AUDIENCES
                and _minute(minute) is not None
                and index.isdigit()
                and int(index) < len(self.catalog.timezones)
            ):
                return await self._save(turn, audience, int(minute), int(index))
            case "uo", ():
                return await self.unsubscribe(turn)
            case "tip", ():
                return await self.today(turn)
        return None

    async def pending_input(self, turn: Turn, pending: PendingInput, text: str) -> Outcome | None:
        """The typed answer to "what time?"; None when the text is not an answer (a question
        instead), which also ends the wait."""
        if pending.flow != CUSTOM_TIME_FLOW:
            await self.conversations.clear(turn.incoming.user_id)
            return None
        minute = parse_time_of_day(text)
        if minute is None:
            if not any(ch.isdigit() for ch in text):
                await self.conversations.clear(turn.incoming.user_id)
                return None
            return self._out(turn, Reply(self.catalog.text(turn.language, "sub.bad_time")))
        await self.conversations.clear(turn.incoming.user_id)
        audience = pending.data.get("audience", TIP_AUDIENCES[0])
        return await self._ask_zone(turn, audience, minute)

    # --- steps --------------------------------------------------------------------------

    def _ask_audience(self, lang: str, minute: int | None) -> Reply:
        m = NO_MINUTE if minute is None else str(minute)
        buttons = tuple(
            (
                Button(
                    self.catalog.text(lang, f"sub.audience.{a}.button"),
                    data=callbacks.encode("sa", a, m),
                ),
            )
            for a in TIP_AUDIENCES
        )
        return Reply(self.catalog.text(lang, "sub.ask_audience"), buttons=buttons)

    def _ask_time(self, lang: str, audience: str) -> Reply:
        presets = [
            Button(format_minute(m), data=callbacks.encode("st", audience, m))
            for m in PRESET_MINUTES
        ]
        rows = [tuple(presets[:3]), tuple(presets[3:])]
        rows.append(
            (
                Button(
                    self.catalog.text(lang, "sub.time.other"), data=callbacks.encode("so", audience)
                ),
            )
        )
        return Reply(self.catalog.text(lang, "sub.ask_time"), buttons=tuple(rows))

    async def _ask_zone(self, turn: Turn, audience: str, minute: int) -> Outcome:
        lang = turn.language
        current = await self.subscriptions.get(turn.incoming.user_id)
        zone = viewer_zone(current.timezone if current else None, self.default_zone).key
        zones = self.catalog.timezones
        index = zones.index(zone) if zone in zones else 0
        text = self.catalog.text(lang, "sub.ask_zone", zone=self._zone_label(lang, zones[index]))
        buttons = (
            (
                Button(
                    self.catalog.text(lang, "sub.zone.keep"),
                    data=callbacks.encode("sz", audience, minute, index),
                ),
                Button(
                    self.catalog.text(lang, "sub.zone.change"),
                    data=callbacks.encode("szl", audience, minute),
                ),
            ),
        )
        return self._out(turn, Reply(text, buttons=buttons))

    def _zone_list(self, lang: str, audience: str, minute: int) -> Reply:
        buttons = [
            Button(self._zone_label(lang, zone), data=callbacks.encode("sz", audience, minute, i))
            for i, zone in enumerate(self.catalog.timezones)
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Reply(self.catalog.text(lang, "sub.choose_zone"), buttons=rows)

    async def _save(self, turn: Turn, audience: str, minute: int, index: int) -> Outcome:
        lang = turn.language
        zone = self.catalog.timezones[index]
        now = self.clock.now()
        await self.subscriptions.save(turn.incoming.user_id, audience, minute, zone, now)
        locale = self.catalog.languages[lang].babel_locale
        window = self.policy.window_for(self.catalog, now.astimezone(ZoneInfo(zone)).year)
        key = "sub.done_all_year" if self.policy.off_season else "sub.done"
        text = self.catalog.text(
            lang,
            key,
            audience=self.catalog.text(lang, f"sub.audience.{audience}"),
            time=format_minute(minute),
            zone=self._zone_label(lang, zone),
            start=format_date(window.start, format="d MMMM", locale=locale),
            end=format_date(window.end, format="d MMMM yyyy", locale=locale),
        )
        buttons = (
            (
                Button(self.catalog.text(lang, "sub.today_button"), data="tip"),
                Button(self.catalog.text(lang, "settings.button"), data="set"),
            ),
        )
        return self._out(turn, Reply(text, buttons=buttons), "subscribed")

    # --- helpers ------------------------------------------------------------------------

    def _zone_label(self, lang: str, zone: str) -> str:
        return zone_label(self.catalog, lang, zone, self.clock.now())

    def _language_name(self, lang: str) -> str:
        return self.catalog.languages[lang].native_name

    def _out(self, turn: Turn, reply: Reply, event: str | None = None) -> Outcome:
        return Outcome((reply,), turn.language, events=(event,) if event else ())


def _minute(text: str) -> int | None:
    if text.isdigit() and int(text) < 24 * 60:
        return int(text)
    return None
