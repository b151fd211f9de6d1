"""/organiser add ID, /organiser remove ID and the list: for admins (ORGANISER_IDS) only."""

from __future__ import annotations

from bot.core.messages import Outcome, Turn
from bot.features.organising.base import OrganiserBase
from bot.services.events import Origin


class OrganiserAdmin(OrganiserBase):
    async def _organiser_admin(self, turn: Turn) -> Outcome:
        args = turn.incoming.args
        user, now = turn.incoming.user_id, self.clock.now()
        if len(args) == 2 and args[0] in ("add", "remove") and args[1].isdigit():
            target = int(args[1])
            if args[0] == "add":
                changed = await self.organisers.add(target, Origin(user), now)
            else:
                changed = await self.organisers.remove(target, Origin(user), now)
            key = {"add": "org.organiser_added", "remove": "org.organiser_removed"}[args[0]]
            return self._say(turn, key if changed else key + "_noop", id=target)
        listed = await self.roles.organisers()
        people = ", ".join(str(i) for i in listed) or "–"
        return self._say(
            turn,
            "org.organisers",
            admins=", ".join(str(i) for i in sorted(self.admins)),
            people=people,
        )
