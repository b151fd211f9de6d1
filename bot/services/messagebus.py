"""The message bus: what a use case recorded on its unit of work (bot/core/domain_events.py) is
handled here, by the one handler table of bot/services/handlers.py, in the use case's own
transaction (what follows from a change is committed with it, or not at all)."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.core.domain_events import DomainEvent
from bot.core.unit_of_work import UnitOfWork

# A handler gets the event and the unit of work it was recorded on, and returns how many people
# it queued a message for (0 for most).
Handler = Callable[[Any, UnitOfWork], Awaitable[int]]


class MessageBus:
    def __init__(self, handlers: Mapping[type[DomainEvent], Sequence[Handler]]) -> None:
        self.handlers = handlers

    async def handle(self, uow: UnitOfWork) -> int:
        """Run the handlers of every event recorded on `uow` so far, and of those they record
        in turn, in order; the sum of what they returned."""
        total = 0
        queue: deque[DomainEvent] = deque(uow.collect_new_events())
        while queue:
            event = queue.popleft()
            for handler in self.handlers.get(type(event), ()):
                total += await handler(event, uow)
            queue.extend(uow.collect_new_events())
        return total
