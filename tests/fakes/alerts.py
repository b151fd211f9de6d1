"""Memory fakes of the scam-alert ports (bot/core/alerts.py): the store, who opted in, and the
subscribers' message."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping
from typing import Any

from bot.core.alerts import AlertDraft, AlertStatus, ScamAlert
from bot.core.messages import Reply


class MemoryAlerts:
    def __init__(self) -> None:
        self.rows: dict[int, ScamAlert] = {}
        self.payloads: dict[int, dict[str, dict[str, Any]]] = {}
        self.matched: Counter[tuple[int, dt.date]] = Counter()
        self.reads = 0  # how often the published ones were read (the service caches them)

    async def create(self, draft: AlertDraft, by: int | None, now: dt.datetime) -> ScamAlert:
        alert = ScamAlert(
            len(self.rows) + 1,
            dict(draft.content),
            draft.default_language,
            draft.source_url,
            AlertStatus.DRAFT,
            None,
            by,
        )
        self.rows[alert.id] = alert
        return alert

    async def get(self, alert_id: int) -> ScamAlert | None:
        alert = self.rows.get(alert_id)
        if alert is None:
            return None
        return dataclasses.replace(alert, matches=self._matches(alert_id))

    async def find(self, statuses: Collection[AlertStatus] = ()) -> list[ScamAlert]:
        if AlertStatus.PUBLISHED in statuses:
            self.reads += 1
        found = [
            dataclasses.replace(a, matches=self._matches(a.id))
            for a in self.rows.values()
            if not statuses or a.status in statuses
        ]
        return sorted(found, key=lambda a: -a.id)

    def _matches(self, alert_id: int) -> int:
        return sum(n for (key, _day), n in self.matched.items() if key == alert_id)

    async def edit(self, alert_id: int, draft: AlertDraft, now: dt.datetime) -> ScamAlert | None:
        alert = self.rows.get(alert_id)
        if alert is None or alert.status is AlertStatus.RETIRED:
            return None
        alert = dataclasses.replace(
            alert,
            content=dict(draft.content),
            default_language=draft.default_language,
            source_url=draft.source_url,
        )
        self.rows[alert_id] = alert
        return alert

    async def publish(
        self, alert_id: int, payloads: Mapping[str, dict[str, Any]], now: dt.datetime
    ) -> ScamAlert | None:
        alert = self.rows.get(alert_id)
        if alert is None or alert.status is not AlertStatus.DRAFT:
            return None
        alert = dataclasses.replace(alert, status=AlertStatus.PUBLISHED, published=now.date())
        self.rows[alert_id], self.payloads[alert_id] = alert, dict(payloads)
        return alert

    async def retire(self, alert_id: int, now: dt.datetime) -> ScamAlert | None:
        alert = self.rows.get(alert_id)
        if alert is None:
            return None
        alert = dataclasses.replace(alert, status=AlertStatus.RETIRED)
        self.rows[alert_id] = alert
        return alert

    async def count_match(self, alert_id: int, now: dt.datetime) -> None:
        self.matched[(alert_id, now.date())] += 1


class MemoryAlertOptIns:
    def __init__(self) -> None:
        self.on: dict[int, dt.datetime] = {}

    async def is_on(self, user_id: int) -> bool:
        return user_id in self.on

    async def set(self, user_id: int, on: bool, now: dt.datetime) -> bool:
        if on == (user_id in self.on):
            return False
        if on:
            self.on[user_id] = now
        else:
            del self.on[user_id]
        return True


class PlainNotices:
    """The subscribers' message as the title and advice in the alert's text for the language."""

    def notice(self, alert: ScamAlert, language: str) -> Reply:
        content = alert.in_language(language)
        return Reply(f"[{language}] {content.title}: {content.advice} ({alert.published})")
