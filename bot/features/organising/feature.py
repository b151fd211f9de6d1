"""What organisers do: add, edit and cancel events (/newevent, /editevent, /cancelevent), send
announcements (/announce, /broadcasts), manage organisers (/organiser, admins only) and see the
figures (/stats). Every command is refused to everyone else with a plain reply, and every action
is written to the audit log.

Multi-step input lives in the conversation store (PendingInput), so a restart or another process
continues it; every button of a flow names the step it answers and is refused when the flow is
elsewhere.

Each job is an object of its own module, sharing one Kit; this feature composes them, routes
their commands, buttons and flows to them and checks the role first."""

from __future__ import annotations

from bot.content.catalog import Catalog
from bot.core import callbacks
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import (
    Audit,
    Broadcasts,
    ChartRenderer,
    Clock,
    Conversations,
    Events,
    PendingInput,
    Roles,
    StatsSource,
)
from bot.core.registry import CommandHandler, FlowHandler, Registration
from bot.core.roles import NotAllowed
from bot.features.event_list import EventsFeature
from bot.features.organising.admin import OrganiserAdmin
from bot.features.organising.announce_steps import ANNOUNCE_FLOW
from bot.features.organising.announce_wizard import AnnounceWizard
from bot.features.organising.event_steps import EVENT_FLOW
from bot.features.organising.event_wizard import ACTIONS as EVENT_ACTIONS
from bot.features.organising.event_wizard import EventWizard
from bot.features.organising.kit import LEAVE, Kit
from bot.features.organising.stats import StatsView
from bot.services.announcements import AnnouncementService
from bot.services.events import EventService
from bot.services.organisers import OrganiserService

COMMANDS = (
    "newevent",
    "editevent",
    "cancelevent",
    "announce",
    "broadcasts",
    "organiser",
    "stats",
    "dashboard",
)
# What each command needs of the role (bot.core.roles); the region of what it changes is
# checked by the services. /organiser checks its own (admins), /dashboard any role.
NEEDS = {
    "newevent": "events.edit",
    "editevent": "events.edit",
    "cancelevent": "events.edit",
    "announce": "announcements.send",
    "broadcasts": "announcements.view",
    "stats": "stats.view",
    "dashboard": "stats.view",
    EVENT_FLOW: "events.edit",
    ANNOUNCE_FLOW: "announcements.send",
}


class OrganiserFeature:
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
        dashboard_url: str | None = None,
    ) -> None:
        self.kit = Kit(catalog, clock, conversations, admins, roles)
        # The dashboard's public https address (DASHBOARD_URL): /dashboard opens it as a Mini App.
        self.dashboard_url = dashboard_url
        self.event_wizard = EventWizard(self.kit, events, event_list, event_service)
        self.announce_wizard = AnnounceWizard(
            self.kit,
            broadcasts,
            event_list.deliveries,
            events,
            announcements,
            event_list.default_zone,
        )
        self.admin = OrganiserAdmin(self.kit, organisers)
        self.stats = StatsView(self.kit, stats, charts, audit)
        # Each job declares its buttons; the leave button is everyone's.
        self.actions = EVENT_ACTIONS | self.announce_wizard.actions | {LEAVE}

    def registration(self) -> Registration:
        return Registration(
            "organisers",
            commands={name: self._command_handler(name) for name in COMMANDS},
            actions=self.actions,
            callback=self.callback,
            flows={
                EVENT_FLOW: self._organisers_only(self.event_wizard.event_input),
                ANNOUNCE_FLOW: self._organisers_only(self.announce_wizard.typed),
            },
        )

    def _command_handler(self, name: str) -> CommandHandler:
        async def handler(turn: Turn) -> Outcome:
            return await self.command(turn, name)

        return handler

    def _organisers_only(self, flow: FlowHandler) -> FlowHandler:
        """Multi-step input: the role is checked again at every step."""

        async def handler(turn: Turn, pending: PendingInput, text: str) -> Outcome | None:
            if not await self.kit.holds(turn, NEEDS.get(pending.flow, "events.edit")):
                await self.kit.conversations.clear(turn.incoming.user_id)
                return self.kit.refused(turn)
            try:
                return await flow(turn, pending, text)
            except NotAllowed:
                return self.kit.say(turn, "error.not_your_region")

        return handler

    async def command(self, turn: Turn, name: str) -> Outcome:
        try:
            return await self._command(turn, name)
        except NotAllowed:  # the role holds it, not for that region
            return self.kit.say(turn, "error.not_your_region")

    async def _command(self, turn: Turn, name: str) -> Outcome:
        if name == "organiser":
            return await self.admin.command(turn)
        if not await self.kit.holds(turn, NEEDS[name]):
            return self.kit.refused(turn)
        match name:
            case "dashboard":
                return self._dashboard(turn)
            case "newevent" | "editevent" | "cancelevent":
                return await self.event_wizard.command(turn, name)
            case "announce":
                return await self.announce_wizard.start(turn)
            case "broadcasts":
                return await self.announce_wizard.status(turn)
            case "stats":
                return await self.stats.command(turn)
        return self.kit.say(turn, "error.unknown_command")

    def _dashboard(self, turn: Turn) -> Outcome:
        """The dashboard as a Mini App (Telegram opens only https addresses so), else how to
        open it with a one-time link."""
        lang = turn.language
        if self.dashboard_url and self.dashboard_url.startswith("https://"):
            button = Button(
                self.kit.catalog.text(lang, "org.dashboard_button"),
                web_app=f"{self.dashboard_url.rstrip('/')}/webapp",
            )
            text = self.kit.catalog.text(lang, "org.dashboard")
            return Outcome((Reply(text, buttons=((button,),)),), lang)
        return self.kit.say(turn, "org.dashboard_local", user=turn.incoming.user_id)

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        try:
            return await self._callback(turn, data)
        except NotAllowed:
            return self.kit.say(turn, "error.not_your_region")

    async def _callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        if data.action not in self.actions:
            return None
        user = turn.incoming.user_id
        needs = "events.edit" if data.action in EVENT_ACTIONS else "announcements.send"
        if not await self.kit.holds(turn, needs if data.action != LEAVE else "stats.view"):
            return self.kit.refused(turn)
        if data.action == "bx":  # /broadcasts' cancel: no flow needed
            return await self.announce_wizard.button(turn, data, None)
        if data.action == "ecx":  # /cancelevent's confirmation: no flow needed
            return await self.event_wizard.button(turn, data, None)
        pending = await self.kit.conversations.get(user)
        if data.action == LEAVE:
            await self.kit.conversations.clear(user)
            return self.kit.say(turn, "org.cancelled")
        if pending is None:
            return None
        if data.action in EVENT_ACTIONS:
            return await self.event_wizard.button(turn, data, pending)
        return await self.announce_wizard.button(turn, data, pending)
