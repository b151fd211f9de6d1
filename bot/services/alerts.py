"""Scam alerts: one code path for the chat (/newalert, /alertlist, /editalert, /retirealert), the
command line (`ecsm-bot alerts ...`) and the dashboard. Organisers publish, edit and retire alerts,
each a unit of work whose AlertChanged event the bus writes to the audit log, with who did it,
in the same transaction; a published alert is left for the planner
(bot.storage.alerts.AlertPlanner), which queues it through the outbox, with its rate limits and
idempotency keys, for everyone who opted in. The message check asks `match`; reads (lists, the
published alerts to match against, whether someone opted in) use the stores directly."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from typing import Protocol

from bot.core.alerts import (
    AlertDraft,
    AlertIndex,
    AlertMatch,
    AlertOptIns,
    AlertProblem,
    AlertStatus,
    AlertStore,
    Reading,
    ScamAlert,
    check,
)
from bot.core.domain_events import AlertChanged
from bot.core.messages import Reply
from bot.core.payloads import payload_of
from bot.core.ports import Clock
from bot.core.roles import check as check_role
from bot.core.unit_of_work import UnitOfWork, UnitsOfWork
from bot.services.events import Origin
from bot.services.messagebus import MessageBus

# How long one process matches against the alerts it read before reading them again: another
# process (the command line, another replica and its dashboard) may have published, edited or
# retired one meanwhile. The dashboard in the same process shares this service
# (bootstrap.Services.alert_service), so its changes are matched at once, like the chat's.
REFRESH = dt.timedelta(seconds=60)


class AlertRefused(Exception):
    """What an organiser wrote cannot be an alert (`problem` says why, for a localised reply)."""

    def __init__(self, problem: AlertProblem) -> None:
        super().__init__(f"{problem.code} {problem.field} {problem.language}".strip())
        self.problem = problem


def _allowed(origin: Origin) -> None:
    """An alert belongs to no region: only staff not scoped to regions may change one
    (bot.core.roles; NotAllowed otherwise). The command line acts as an operator (no staff)."""
    if origin.staff is not None:
        check_role(origin.staff, "alerts.edit", None)


class AlertNotices(Protocol):
    """The message the people who opted in get, in one language (bot.features.alerts)."""

    def notice(self, alert: ScamAlert, language: str) -> Reply: ...


class AlertService:
    def __init__(
        self,
        units: UnitsOfWork,
        bus: MessageBus,
        store: AlertStore,
        opt_ins: AlertOptIns,
        notices: AlertNotices,
        languages: Sequence[str],
        clock: Clock,
        refresh: dt.timedelta = REFRESH,
        read: Reading | None = None,
    ) -> None:
        """`read` is how the bot reads Latin-typed text in its language's script
        (bot.core.latin_typing.read_message): a message typed so matches an alert whose
        examples are in that script."""
        self.units = units
        self.bus = bus
        self.store = store
        self.opt_ins = opt_ins
        self.notices = notices
        self.languages = tuple(languages)
        self.clock = clock
        self.refresh = refresh
        self.read = read
        self._index: AlertIndex | None = None
        self._read_at: dt.datetime | None = None

    # --- organisers ---------------------------------------------------------------------------

    async def create(
        self, draft: AlertDraft, origin: Origin, now: dt.datetime, publish: bool = True
    ) -> ScamAlert:
        """Store a new alert and, unless `publish` is False (a draft), publish it."""
        _allowed(origin)
        self._check(draft)
        async with self.units() as uow:
            alert = await uow.alerts.create(draft, origin.actor, now)
            uow.record(AlertChanged(alert, "alert_created", origin, now))
            if publish:
                published = await self._publish(uow, alert, now)
                assert published is not None  # it was created as a draft a moment ago
                uow.record(AlertChanged(published, "alert_published", origin, now))
                alert = published
            await self.bus.handle(uow)
            await uow.commit()
        self._index = None
        return alert

    async def publish(self, alert_id: int, origin: Origin, now: dt.datetime) -> ScamAlert | None:
        """Publish a draft: it matches checked messages from now on and goes to everyone who
        opted in. None when there is no such draft."""
        _allowed(origin)
        async with self.units() as uow:
            alert = await uow.alerts.get(alert_id)
            if alert is None or alert.status is not AlertStatus.DRAFT:
                return None
            published = await self._publish(uow, alert, now)
            if published is None:
                return None
            uow.record(AlertChanged(published, "alert_published", origin, now))
            await self.bus.handle(uow)
            await uow.commit()
        self._index = None
        return published

    async def _publish(
        self, uow: UnitOfWork, alert: ScamAlert, now: dt.datetime
    ) -> ScamAlert | None:
        # The message says when it was reported: as it will be once published (today, UTC).
        shown = dataclasses.replace(alert, status=AlertStatus.PUBLISHED, published=now.date())
        payloads = {
            language: payload_of(self.notices.notice(shown, language))
            for language in self.languages
        }
        return await uow.alerts.publish(alert.id, payloads, now)

    async def edit(
        self, alert_id: int, draft: AlertDraft, origin: Origin, now: dt.datetime
    ) -> ScamAlert | None:
        """New texts or examples (a published alert is not sent again). None when it is
        missing or retired."""
        _allowed(origin)
        self._check(draft)
        async with self.units() as uow:
            edited = await uow.alerts.edit(alert_id, draft, now)
            if edited is None:
                return None
            uow.record(AlertChanged(edited, "alert_edited", origin, now))
            await self.bus.handle(uow)
            await uow.commit()
        self._index = None
        return edited

    async def retire(self, alert_id: int, origin: Origin, now: dt.datetime) -> ScamAlert | None:
        """The wave is over: no more matches, and what still waits to be sent is withdrawn.
        None when there is no such alert; retiring twice writes one audit entry."""
        _allowed(origin)
        async with self.units() as uow:
            before = await uow.alerts.get(alert_id)
            if before is None:
                return None
            retired = await uow.alerts.retire(alert_id, now)
            if retired is not None and before.status is not AlertStatus.RETIRED:
                uow.record(AlertChanged(retired, "alert_retired", origin, now))
                await self.bus.handle(uow)
            await uow.commit()
        self._index = None
        return retired

    async def find(self, statuses: Collection[AlertStatus] = ()) -> list[ScamAlert]:
        return await self.store.find(statuses)

    async def get(self, alert_id: int) -> ScamAlert | None:
        return await self.store.get(alert_id)

    # --- everyone -----------------------------------------------------------------------------

    async def match(self, text: str, language: str) -> AlertMatch | None:
        """The published alert a received message is a copy of, told in `language`; counted
        for the organisers' figures."""
        index = await self._current_index()
        found = index.match(text, language)
        if found is not None:
            await self.store.count_match(found.alert_id, self.clock.now())
        return found

    async def opted_in(self, user_id: int) -> bool:
        return await self.opt_ins.is_on(user_id)

    async def set_opt_in(self, user_id: int, on: bool, now: dt.datetime) -> bool:
        """Turn alerts on or off for one person; False when nothing changed."""
        async with self.units() as uow:
            changed = await uow.alert_opt_ins.set(user_id, on, now)
            await uow.commit()
        return changed

    # --- inside -------------------------------------------------------------------------------

    def _check(self, draft: AlertDraft) -> None:
        problem = check(draft.content, draft.default_language, draft.source_url, self.languages)
        if problem is not None:
            raise AlertRefused(problem)

    async def _current_index(self) -> AlertIndex:
        now = self.clock.now()
        stale = self._read_at is None or now - self._read_at >= self.refresh
        if self._index is None or stale:
            self._index = AlertIndex(await self.store.find([AlertStatus.PUBLISHED]), self.read)
            self._read_at = now
        return self._index
