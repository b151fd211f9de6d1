"""What organisers do: add, edit and cancel events (/newevent, /editevent, /cancelevent), send
announcements (/announce, /broadcasts), manage organisers (/organiser, admins only) and see the
figures (/stats). Every command is refused to everyone else with a plain reply, and every action
is written to the audit log.

Multi-step input lives in the conversation store (PendingInput), so a restart or another process
continues it; every button of a flow names the step it answers and is refused when the flow is
elsewhere.

Each job has its module in this package; this one holds the routing and the role checks."""

from __future__ import annotations

from bot.core import callbacks
from bot.core.messages import Outcome, Reply, Turn
from bot.core.ports import PendingInput
from bot.core.registry import CommandHandler, FlowHandler, Registration
from bot.features.organising.admin import OrganiserAdmin
from bot.features.organising.announce_wizard import AnnounceWizard
from bot.features.organising.base import ANNOUNCE_FLOW, EVENT_FLOW
from bot.features.organising.event_wizard import EventWizard
from bot.features.organising.stats import StatsView
from bot.services.events import Origin

COMMANDS = ("newevent", "editevent", "cancelevent", "announce", "broadcasts", "organiser", "stats")
ORGANISER_ACTIONS = frozenset(
    {
        "nk",
        "nz",
        "nr",
        "na",
        "nsave",
        "nx",
        "ecx",
        "bx",
        "ab",
        "aa",
        "al",
        "ar",
        "aar",
        "ae",
        "aae",
        "as",
        "ash",
        "asy",
    }
)


class OrganiserFeature(EventWizard, AnnounceWizard, OrganiserAdmin, StatsView):
    def registration(self) -> Registration:
        return Registration(
            "organisers",
            commands={name: self._command_handler(name) for name in COMMANDS},
            actions=ORGANISER_ACTIONS,
            callback=self.callback,
            flows={
                EVENT_FLOW: self._organisers_only(self.event_input),
                ANNOUNCE_FLOW: self._organisers_only(self.announce_input),
            },
        )

    def _command_handler(self, name: str) -> CommandHandler:
        async def handler(turn: Turn) -> Outcome:
            return await self.command(turn, name)

        return handler

    def _organisers_only(self, flow: FlowHandler) -> FlowHandler:
        """Multi-step input: the role is checked again at every step."""

        async def handler(turn: Turn, pending: PendingInput, text: str) -> Outcome | None:
            if not await self.is_organiser(turn.incoming.user_id):
                await self.conversations.clear(turn.incoming.user_id)
                return self._refused(turn)
            return await flow(turn, pending, text)

        return handler

    async def command(self, turn: Turn, name: str) -> Outcome:
        user = turn.incoming.user_id
        if name == "organiser":
            if user not in self.admins:
                return Outcome(
                    (Reply(self.catalog.text(turn.language, "error.admins_only")),), turn.language
                )
            return await self._organiser_admin(turn)
        if not await self.is_organiser(user):
            return self._refused(turn)
        match name:
            case "newevent":
                return await self._start_event(turn, None)
            case "editevent" | "cancelevent":
                arg = turn.incoming.args[0] if turn.incoming.args else ""
                event = await self.events.get(int(arg)) if arg.isdigit() else None
                if event is None:
                    return self._say(turn, "org.no_such_event")
                if name == "editevent":
                    return await self._start_event(turn, event)
                return self._confirm_cancel(turn, event)
            case "announce":
                await self.conversations.set(
                    user, PendingInput(ANNOUNCE_FLOW, {"step": "text"}), self.clock.now()
                )
                return self._say(turn, "ann.ask_text", buttons=self._cancel_row(turn.language))
            case "broadcasts":
                return await self._broadcast_status(turn)
            case "stats":
                return await self._stats(turn)
        return self._say(turn, "error.unknown_command")

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        if data.action not in ORGANISER_ACTIONS:
            return None
        user = turn.incoming.user_id
        if not await self.is_organiser(user):
            return self._refused(turn)
        if data.action == "ecx" and len(data.args) == 1 and data.args[0].isdigit():
            return await self._cancel_event(turn, int(data.args[0]))
        if data.action == "bx" and len(data.args) == 1 and data.args[0].isdigit():
            record = await self.announcements.cancel(
                int(data.args[0]), Origin(user), self.clock.now()
            )
            if record is None:
                return None
            return self._say(turn, "ann.cancelled", id=record.id)
        pending = await self.conversations.get(user)
        if data.action == "nx":
            await self.conversations.clear(user)
            return self._say(turn, "org.cancelled")
        if pending is None:
            return None
        flow_data = dict(pending.data)
        step = flow_data.get("step")
        if pending.flow == EVENT_FLOW:
            return await self._event_button(turn, data, flow_data, step)
        if pending.flow == ANNOUNCE_FLOW:
            return await self._announce_button(turn, data, flow_data, step)
        return None
