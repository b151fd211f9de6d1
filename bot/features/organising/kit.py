"""What every organiser tool shares: who may use them, the question being asked (the
conversation store), and how their replies are worded. One Kit is built by the feature and
handed to each job."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from bot.content.catalog import Catalog
from bot.core.domain_events import Origin
from bot.core.events import Problem
from bot.core.messages import Button, Outcome, Reply, Turn
from bot.core.ports import Clock, Conversations, Roles
from bot.core.roles import Staff, parse_role, permissions_of

WHEN = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})\s*$")
TIME_ONLY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
# The button that leaves any organiser's question: handled by the feature, not by one job.
LEAVE = "nx"


def parse_when(value: str, zone: ZoneInfo, day_of: dt.datetime | None = None) -> dt.datetime | None:
    """`YYYY-MM-DD HH:MM` in `zone`; with `day_of`, a bare `HH:MM` is that time on its day."""
    try:
        match = WHEN.match(value)
        if match:
            y, mo, d, h, mi = (int(g) for g in match.groups())
            return dt.datetime(y, mo, d, h, mi, tzinfo=zone)
        only = TIME_ONLY.match(value)
        if only and day_of is not None:
            return day_of.replace(hour=int(only.group(1)), minute=int(only.group(2)))
    except ValueError:
        return None
    return None


class Kit:
    def __init__(
        self,
        catalog: Catalog,
        clock: Clock,
        conversations: Conversations,
        admins: frozenset[int],
        roles: Roles,
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.conversations = conversations
        self.admins = admins  # ORGANISER_IDS
        self.roles = roles

    async def is_organiser(self, user_id: int) -> bool:
        return user_id in self.admins or await self.roles.is_organiser(user_id)

    async def staff(self, turn: Turn) -> Staff | None:
        """Their role and regions (bot.core.roles), or None for everyone else."""
        user = turn.incoming.user_id
        if user in self.admins:
            return Staff(user, "admin", frozenset(), turn.language)
        record = await self.roles.staff_member(user)
        if record is None:
            return None
        return Staff(user, parse_role(record.role), record.regions, turn.language)

    async def holds(self, turn: Turn, permission: str) -> bool:
        """Whether their role gives `permission` at all (in some region, for a regional one:
        what belongs to which region is checked by the services, through `origin`)."""
        staff = await self.staff(turn)
        return staff is not None and permission in permissions_of(staff)

    async def origin(self, turn: Turn) -> Origin:
        """Who acts, for the services: they refuse what the role does not cover."""
        return Origin(turn.incoming.user_id, staff=await self.staff(turn))

    def refused(self, turn: Turn) -> Outcome:
        return self.say(turn, "error.organisers_only")

    def problem_text(self, lang: str, problem: Problem) -> str:
        values = dict(problem.values)
        if "language" in values and values["language"] in self.catalog.languages:
            values["language"] = self.catalog.languages[values["language"]].native_name
        key = f"event.problem.{problem.code}"
        if "max" in values:  # a limit: the words agree with it ("at most 1 character")
            return self.catalog.plural(lang, key, int(values.pop("max")), **values)
        return self.catalog.text(lang, key, **values)

    def cancel_row(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(self.catalog.text(lang, "org.cancel"), data=LEAVE),),)

    def say(
        self, turn: Turn, key: str, buttons: tuple[tuple[Button, ...], ...] = (), **values: object
    ) -> Outcome:
        return Outcome(
            (Reply(self.catalog.text(turn.language, key, **values), buttons=buttons),),
            turn.language,
        )

    def say_counted(
        self,
        turn: Turn,
        key: str,
        count: int,
        buttons: tuple[tuple[Button, ...], ...] = (),
        **values: object,
    ) -> Outcome:
        text = self.catalog.plural(turn.language, key, count, **values)
        return Outcome((Reply(text, buttons=buttons),), turn.language)
