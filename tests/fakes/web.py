"""Memory fakes of the dashboard's ports: the audit log that can be searched, and the one-time
sign-in links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core.ports import AuditQuery, AuditRecord


class MemoryAuditLog:
    """Audit (record) and AuditLog (search) over one list."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def record(
        self, actor: int | None, action: str, details: dict[str, Any], now: dt.datetime
    ) -> None:
        self.records.append(AuditRecord(len(self.records) + 1, now, actor, action, details))

    async def search(self, query: AuditQuery) -> tuple[list[AuditRecord], int]:
        found = [
            r
            for r in reversed(self.records)
            if (query.actor is None or r.actor == query.actor)
            and (not query.action or r.action == query.action)
            and (query.since is None or r.at >= query.since)
            and (query.until is None or r.at < query.until)
        ]
        return found[query.offset : query.offset + query.limit], len(found)

    async def actions(self) -> list[str]:
        return sorted({r.action for r in self.records})

    def actions_of(self, actor: int | None) -> list[str]:
        return [r.action for r in self.records if r.actor == actor]


class MemorySignInLinks:
    def __init__(self) -> None:
        self.links: dict[str, tuple[int, dt.datetime, dt.datetime | None]] = {}

    async def issue(
        self, token_hash: str, user_id: int, expires: dt.datetime, now: dt.datetime
    ) -> None:
        self.links[token_hash] = (user_id, expires, None)

    async def redeem(self, token_hash: str, now: dt.datetime) -> int | None:
        found = self.links.get(token_hash)
        if found is None or found[2] is not None or found[1] <= now:
            return None
        self.links[token_hash] = (found[0], found[1], now)
        return found[0]
