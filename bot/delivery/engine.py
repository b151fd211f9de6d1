"""Drains the outbox: claims what is due, sends it within Telegram's limits, records every outcome.

Delivery is at most once per idempotency key. An item is CLAIMED (safe to take again if its
worker dies) until just before it is handed to Telegram, when it becomes SENDING; an item left
SENDING by a dead worker becomes UNCERTAIN and is reported, never sent again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import Counter
from dataclasses import dataclass, field

from bot.core.ports import Clock
from bot.delivery.ports import Item, OutboxStore, Outcome, Sender, SendResult, Status
from bot.delivery.ratelimit import RateLimiter

log = logging.getLogger(__name__)

OUTAGE_STREAK = 10  # transient failures in a row, with no success between, that mean an outage
OUTAGE_MAX_PAUSE = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempts: int) -> float:
        # Exponential backoff with jitter, so that many failed sends do not retry in lockstep.
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))
        return float(ceiling / 2 + random.random() * ceiling / 2)  # noqa: S311


@dataclass
class DeliveryReport:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, status: str) -> None:
        self.counts[status] += 1


class DeliveryEngine:
    def __init__(
        self,
        outbox: OutboxStore,
        sender: Sender,
        limiter: RateLimiter,
        clock: Clock,
        retry: RetryPolicy | None = None,
        batch: int = 200,
        concurrency: int = 32,
        lease: dt.timedelta = dt.timedelta(minutes=2),
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.limiter = limiter
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.batch = batch
        self.concurrency = concurrency
        self.lease = lease
        # Transient failures in a row, across items: many mean Telegram (or the way there) is
        # down, and then no item should spend its attempts on the outage.
        self._transient_streak = 0

    async def run_once(self, max_items: int | None = None) -> DeliveryReport:
        """Deliver everything that is due now (or up to `max_items`), then return."""
        report = DeliveryReport()
        stale = await self.outbox.abandon_stale(self.clock.now())
        if stale:
            log.error("%d deliveries were interrupted mid-send and are marked uncertain", stale)
            report.counts[Status.UNCERTAIN] += stale
        done = 0
        while max_items is None or done < max_items:
            limit = self.batch if max_items is None else min(self.batch, max_items - done)
            items = await self.outbox.claim(self.clock.now(), limit, self.lease)
            if not items:
                break
            await self._deliver_batch(items, report)
            done += len(items)
        return report

    async def _deliver_batch(self, items: list[Item], report: DeliveryReport) -> None:
        """Send in waves: each wave takes the next item of up to `concurrency` chats, marks
        them SENDING in one commit, sends them concurrently and records them in one commit.
        A chat's items are in successive waves, so they keep their order."""
        by_chat: dict[int, list[Item]] = {}
        for item in items:
            by_chat.setdefault(item.chat_id, []).append(item)
        pending = list(by_chat.values())
        recording: asyncio.Task[None] | None = None
        try:
            while pending:
                wave = [group.pop(0) for group in pending[: self.concurrency]]
                pending = [group for group in pending if group]
                live = await self._start_wave(wave, report)
                if not live:
                    continue
                results = await asyncio.gather(*(self._send(item) for item in live))
                throttled = [r for r in results if r.outcome is Outcome.RETRY_AFTER]
                for result in throttled:
                    self.limiter.pause(result.retry_after or 1.0)
                # Recording overlaps the next wave: until recorded, items stay SENDING, the
                # state that is never sent again, so a crash meanwhile cannot duplicate them.
                if recording is not None:
                    await recording
                recording = asyncio.create_task(self._record_wave(live, results, report))
                if throttled:
                    break  # a 429: the rest goes back, in order, behind the paused item
        finally:
            if recording is not None:
                await recording
            leftover = [item.id for group in pending for item in group]
            if leftover:
                await self.outbox.release(leftover, self.clock.now())

    async def _start_wave(self, wave: list[Item], report: DeliveryReport) -> list[Item]:
        """Expire what is too late, and mark the rest SENDING before anything is sent."""
        now = self.clock.now()
        live = []
        for item in wave:
            if item.expires_at is not None and now >= item.expires_at:
                await self.outbox.finish(item.id, Status.EXPIRED, now)
                report.add(Status.EXPIRED)
            else:
                live.append(item)
        if live:
            await self.outbox.mark_sending([item.id for item in live], now)
        return live

    async def _record_wave(
        self, live: list[Item], results: list[SendResult], report: DeliveryReport
    ) -> None:
        sent = [
            (item.id, result.message_id)
            for item, result in zip(live, results, strict=True)
            if result.outcome is Outcome.SENT
        ]
        if sent:
            await self.outbox.finish_sent(sent, self.clock.now())
            report.counts[Status.SENT] += len(sent)
        for item, result in zip(live, results, strict=True):
            if result.outcome is not Outcome.SENT:
                await self._record(item, result, report)

    async def _send(self, item: Item) -> SendResult:
        await self.limiter.acquire(item.chat_id)
        result = await self.sender.send(item.chat_id, item.payload)
        if result.outcome is Outcome.MIGRATED and result.new_chat_id is not None:
            await self.outbox.move_chat(item.id, result.new_chat_id)
            await self.limiter.acquire(result.new_chat_id)
            result = await self.sender.send(result.new_chat_id, item.payload)
        return result

    def _outage(self) -> bool:
        self._transient_streak += 1
        return self._transient_streak > OUTAGE_STREAK

    async def _record(self, item: Item, result: SendResult, report: DeliveryReport) -> None:
        now = self.clock.now()
        match result.outcome:
            case Outcome.SENT:
                self._transient_streak = 0
                await self.outbox.finish(item.id, Status.SENT, now, message_id=result.message_id)
                report.add(Status.SENT)
            case Outcome.RETRY_AFTER:
                wait = result.retry_after or 1.0
                self.limiter.pause(wait)
                # Not the item's fault: same attempt count, and still first in line (by id);
                # the limiter holds every send until the pause ends.
                await self.outbox.release([item.id], now)
                report.add("retry_after")
            case Outcome.BLOCKED:
                await self.outbox.finish(item.id, Status.BLOCKED, now, error=result.error)
                await self.outbox.on_blocked(item.user_id, now)
                report.add(Status.BLOCKED)
            case Outcome.CHAT_NOT_FOUND:
                await self.outbox.finish(item.id, Status.FAILED, now, error=result.error)
                await self.outbox.on_blocked(item.user_id, now)
                report.add("chat_not_found")
            case Outcome.TRANSIENT if self._outage():
                # Everything fails: hold all sending (growing pauses, up to a minute) and keep
                # the item's attempts for failures that are its own.
                pause = min(OUTAGE_MAX_PAUSE, 2.0 ** min(6, self._transient_streak - OUTAGE_STREAK))
                self.limiter.pause(pause)
                await self.outbox.release([item.id], now)
                report.add("outage")
            case Outcome.TRANSIENT:
                attempts = item.attempts + 1
                if attempts >= self.retry.max_attempts:
                    await self.outbox.finish(item.id, Status.FAILED, now, error=result.error)
                    log.warning(
                        "delivery %s failed after %d attempts: %s", item.key, attempts, result.error
                    )
                    report.add(Status.FAILED)
                else:
                    when = now + dt.timedelta(seconds=self.retry.delay(attempts))
                    await self.outbox.retry(item.id, when, attempts, result.error)
                    report.add("retry")
            case Outcome.AMBIGUOUS:
                await self.outbox.finish(item.id, Status.UNCERTAIN, now, error=result.error)
                log.warning("delivery %s timed out; not resent: %s", item.key, result.error)
                report.add(Status.UNCERTAIN)
            case Outcome.PERMANENT | Outcome.MIGRATED:
                await self.outbox.finish(item.id, Status.FAILED, now, error=result.error)
                log.error("delivery %s (%s) refused: %s", item.key, item.kind, result.error)
                report.add(Status.FAILED)
