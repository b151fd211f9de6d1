"""An announcement's audience size for the composer's preview: read from the rollups' users
snapshot when the audience is only a region and/or a language (or everyone), counted exactly
otherwise. Counting everyone is a count over every user, a quarter of a second at a million;
the snapshot holds the same count (every user, by region and language), minutes old. The
planner still counts exactly what it sends when the announcement is queued."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.ports import Audience, Broadcasts, Clock, Rollups
from bot.core.rollups import Metric

# The snapshot is taken every 5 minutes (bot.storage.rollups.SNAPSHOT_EVERY): one missed
# refresh is tolerated, an older one means the tick is not running and it is counted instead.
FRESH = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class AudienceSize:
    count: int
    estimated: bool  # from the snapshot (the UI says "about"); False: counted just now


def _from_snapshot(audience: Audience) -> bool:
    """Whether the users snapshot counts what the audience holds. The audience "all" is every
    user (bot.storage.broadcasts.audience_query: no subscription, no blocked filter), which is
    what the snapshot counts per region and language; a segment (active subscribers of one
    audience) is not split by language there, and an event's reminder-takers not at all."""
    return audience.segment == "all" and audience.event_id is None


class AudienceSizeService:
    def __init__(
        self, broadcasts: Broadcasts, rollups: Rollups, clock: Clock, fresh: dt.timedelta = FRESH
    ) -> None:
        self.broadcasts, self.rollups, self.clock, self.fresh = broadcasts, rollups, clock, fresh

    async def size(self, audience: Audience) -> AudienceSize:
        if _from_snapshot(audience):
            estimate = await self._estimate(audience)
            if estimate is not None:
                return AudienceSize(estimate, estimated=True)
        return AudienceSize(await self.broadcasts.audience_size(audience), estimated=False)

    async def _estimate(self, audience: Audience) -> int | None:
        taken = await self.rollups.snapshot_at()
        if taken is None or self.clock.now() - taken > self.fresh:
            return None
        regions = frozenset({audience.region}) if audience.region else frozenset[str]()
        day, values = (await self.rollups.snapshot((Metric.USERS,), taken.date(), regions))[
            Metric.USERS
        ]
        if day != taken.date():  # the rows of that snapshot are gone (not expected)
            return None
        wanted = f"language:{audience.language}" if audience.language else None
        return sum(
            value
            for (_, key), value in values.items()
            if key.startswith("language:") and (wanted is None or key == wanted)
        )
