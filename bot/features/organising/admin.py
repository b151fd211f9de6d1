"""/organiser add ID, /organiser remove ID and the list: for admins (ORGANISER_IDS) only."""

from __future__ import annotations

from bot.core.messages import Outcome, Turn
from bot.features.organising.kit import Kit
from bot.services.organisers import OrganiserService


class OrganiserAdmin:
    def __init__(self, kit: Kit, organisers: OrganiserService) -> None:
        self.kit = kit
        self.organisers = organisers

    async def command(self, turn: Turn) -> Outcome:
        # Admins: ORGANISER_IDS, or stored with the admin role (bot.core.roles).
        if not await self.kit.holds(turn, "organisers.manage"):
            return self.kit.say(turn, "error.admins_only")
        args = turn.incoming.args
        now = self.kit.clock.now()
        if len(args) == 2 and args[0] in ("add", "remove") and args[1].isdigit():
            target = int(args[1])
            origin = await self.kit.origin(turn)
            if args[0] == "add":
                changed = await self.organisers.add(target, origin, now)
            else:
                changed = await self.organisers.remove(target, origin, now)
            key = {"add": "org.organiser_added", "remove": "org.organiser_removed"}[args[0]]
            return self.kit.say(turn, key if changed else key + "_noop", id=target)
        listed = await self.kit.roles.organisers()
        people = ", ".join(str(i) for i in listed) or "–"
        return self.kit.say(
            turn,
            "org.organisers",
            admins=", ".join(str(i) for i in sorted(self.kit.admins)),
            people=people,
        )
