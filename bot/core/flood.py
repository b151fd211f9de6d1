"""Per-user flood control: more than `limit` messages within `window` gets one polite notice,
then silence (and no NLU calls) until the window has passed.

It counts in this process's memory: cheap, and enough to protect the NLU server behind it. With
several processes behind a load balancer each counts its own share, so a flood is cut at most
`limit` × processes messages in.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, deque
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    NOTICE = "notice"  # the first message over the limit: tell the user once
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class FloodLimit:
    messages: int = 12
    window: dt.timedelta = dt.timedelta(seconds=10)


class FloodGate:
    def __init__(self, limit: FloodLimit, max_users: int = 100_000) -> None:
        self.limit = limit
        self.max_users = max_users
        self._recent: OrderedDict[int, deque[dt.datetime]] = OrderedDict()
        self._noticed: dict[int, dt.datetime] = {}

    def check(self, user_id: int, now: dt.datetime) -> Verdict:
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
