"""What every organiser tool shares: the ports it works with, who may use it, and how
its replies are worded."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from bot.content.catalog import Catalog
from bot.core.events import (
    Problem,
    valid_zone,
)
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import (
    Audit,
    Broadcasts,
    ChartRenderer,
    Clock,
    Conversations,
    Events,
    Roles,
    StatsSource,
)
from bot.features.event_list import EventsFeature
from bot.services.announcements import AnnouncementService
from bot.services.events import EventService
from bot.services.organisers import OrganiserService

EVENT_FLOW, ANNOUNCE_FLOW = "newevent", "announce"
WHEN = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})\s*$")
TIME_ONLY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


class OrganiserBase:
    """The ports and settings of the organisers' tools, shared by every job."""

    catalog: Catalog
    admins: frozenset[int]  # ORGANISER_IDS
    roles: Roles
    audit: Audit
    events: Events
    event_list: EventsFeature
    broadcasts: Broadcasts
    conversations: Conversations
    stats: StatsSource
    charts: ChartRenderer
    clock: Clock
    event_service: EventService
    announcements: AnnouncementService
    organisers: OrganiserService

    def __init__(
        self,
        catalog: Catalog,
        admins: frozenset[int],
        roles: Roles,
        audit: Audit,
        events: Events,
        event_list: EventsFeature,
        broadcasts: Broadcasts,
        conversations: Conversations,
        stats: StatsSource,
        charts: ChartRenderer,
        clock: Clock,
        event_service: EventService,
        announcements: AnnouncementService,
        organisers: OrganiserService,
    ) -> None:
        self.catalog = catalog
        self.admins = admins
        self.roles = roles
        self.audit = audit
        self.events = events
        self.event_list = event_list
        self.broadcasts = broadcasts
        self.conversations = conversations
        self.stats = stats
        self.charts = charts
        self.clock = clock
        self.event_service = event_service
        self.announcements = announcements
        self.organisers = organisers

    async def is_organiser(self, user_id: int) -> bool:
        return user_id in self.admins or await self.roles.is_organiser(user_id)

    def _refused(self, turn: Turn) -> Outcome:
        return Outcome(
            (Reply(self.catalog.text(turn.language, "error.organisers_only")),), turn.language
        )

    def _when(self, value: str, data: dict[str, str], step: str) -> dt.datetime | None:
        zone_name = data.get("timezone", "")
        if not valid_zone(zone_name):
            return None
        zone = ZoneInfo(zone_name)
        match = WHEN.match(value)
        try:
            if match:
                y, mo, d, h, mi = (int(g) for g in match.groups())
                return dt.datetime(y, mo, d, h, mi, tzinfo=zone)
            only = TIME_ONLY.match(value)
            if only and step == "end" and WHEN.match(data.get("start", "")):
                start = self._when(data["start"], data, "start")
                assert start is not None
                return start.replace(hour=int(only.group(1)), minute=int(only.group(2)))
        except ValueError:
            return None
        return None

    def _problem_text(self, lang: str, problem: Problem) -> str:
        values = dict(problem.values)
        if "language" in values and values["language"] in self.catalog.languages:
            values["language"] = self.catalog.languages[values["language"]].native_name
        key = f"event.problem.{problem.code}"
        if "max" in values:  # a limit: the words agree with it ("at most 1 character")
            return self.catalog.plural(lang, key, int(values.pop("max")), **values)
        return self.catalog.text(lang, key, **values)

    def _cancel_row(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(self.catalog.text(lang, "org.cancel"), data="nx"),),)

    def _say(
        self, turn: Turn, key: str, buttons: tuple[tuple[Button, ...], ...] = (), **values: object
    ) -> Outcome:
        return Outcome(
            (Reply(self.catalog.text(turn.language, key, **values), buttons=buttons),),
            turn.language,
        )

    def _say_counted(
        self,
        turn: Turn,
        key: str,
        count: int,
        buttons: tuple[tuple[Button, ...], ...] = (),
        **values: object,
    ) -> Outcome:
        text = self.catalog.plural(turn.language, key, count, **values)
        return Outcome((Reply(text, buttons=buttons),), turn.language)
