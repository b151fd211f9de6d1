"""Per-user flood control: more than `limit` messages within `window` gets one polite notice,
then silence (and no NLU calls) until the window has passed.

`FloodGate` counts in this process's memory, over a sliding window: cheap, and right for one
process. Several processes behind a load balancer share one count in the database instead
(`bot.storage.flood.SqlFloodGate`), so that the limit and the single notice hold in total.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, deque
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class Verdict(Enum):
    ALLOW = "allow"
    NOTICE = "notice"  # the first message over the limit: tell the user once
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class FloodLimit:
    messages: int = 12
    window: dt.timedelta = dt.timedelta(seconds=10)


class FloodControl(Protocol):
    async def check(self, user_id: int, now: dt.datetime) -> Verdict: ...


def verdict_for(count: int, limit: FloodLimit) -> Verdict:
    """The verdict on a user's `count`th message of a window."""
    if count <= limit.messages:
        return Verdict.ALLOW
    return Verdict.NOTICE if count == limit.messages + 1 else Verdict.DROP


class FloodGate:
    def __init__(self, limit: FloodLimit, max_users: int = 100_000) -> None:
        self.limit = limit
        self.max_users = max_users
        self._recent: OrderedDict[int, deque[dt.datetime]] = OrderedDict()
        self._noticed: dict[int, dt.datetime] = {}

    async def check(self, user_id: int, now: dt.datetime) -> Verdict:
        times = self._recent.get(user_id)
        if times is None:
            times = self._recent[user_id] = deque()
            # Bounded memory: the users quiet for longest are forgotten first.
            while len(self._recent) > self.max_users:
                forgotten, _ = self._recent.popitem(last=False)
                self._noticed.pop(forgotten, None)
        else:
            self._recent.move_to_end(user_id)
        horizon = now - self.limit.window
        while times and times[0] <= horizon:
            times.popleft()
        if len(times) < self.limit.messages:
            times.append(now)
            self._noticed.pop(user_id, None)
            return Verdict.ALLOW
        noticed = self._noticed.get(user_id)
        if noticed is not None and noticed > horizon:
            return Verdict.DROP
        self._noticed[user_id] = now
        return Verdict.NOTICE
