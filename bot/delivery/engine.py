"""Drains the outbox: claims what is due, sends it within Telegram's limits, records every outcome.

Delivery is at most once per idempotency key. An item is CLAIMED (safe to take again if its
worker dies) until just before it is handed to Telegram, when it becomes SENDING; an item left
SENDING by a dead worker becomes UNCERTAIN and is reported, never sent again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.core.ports import Clock
from bot.delivery.ports import Item, OutboxStore, Outcome, Sender, SendResult, Status
from bot.delivery.ratelimit import RateLimiter

log = logging.getLogger(__name__)

OUTAGE_STREAK = 10  # transient failures in a row, with no success between, that mean an outage
OUTAGE_MAX_PAUSE = 60.0
# Outcomes after which the item goes back to the queue unsent.
_PUT_BACK = frozenset({Outcome.RETRY_AFTER, Outcome.HELD})


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
    # Told of every outcome as it is recorded (metrics): a long announcement is seen going
    # out, not only once it is all sent.
    observe: Callable[[str, int], None] | None = None

    # Stopped at its time limit with more due: the caller plans again, then goes on.
    cut_short: bool = False

    def add(self, status: str, count: int = 1) -> None:
        self.counts[status] += count
        if self.observe is not None:
            self.observe(str(status), count)


class _Run:
    """One pass over the outbox: the waves claimed but not out yet, the waves out, and each
    chat's latest send, which its next item waits for."""

    def __init__(self, concurrency: int) -> None:
        self.waves: deque[list[Item]] = deque()
        self.out: deque[asyncio.Task[None]] = deque()
        self.last_of_chat: dict[int, asyncio.Task[SendResult]] = {}
        self.throttled = asyncio.Event()
        self.in_flight = asyncio.Semaphore(concurrency)

    def track(
        self,
        item: Item,
        send: Callable[[asyncio.Task[SendResult] | None], Coroutine[Any, Any, SendResult]],
    ) -> asyncio.Task[SendResult]:
        """Start sending `item` after the chat's previous send (given to `send`)."""
        task = asyncio.create_task(send(self.last_of_chat.get(item.chat_id)))
        self.last_of_chat[item.chat_id] = task
        # A finished send stops mattering to the chat's next item once it was not put back
        # (and if it was, `throttled` holds everything anyway): memory stays one wave deep.
        task.add_done_callback(lambda done: self._forget(item.chat_id, done))
        return task

    def _forget(self, chat_id: int, task: asyncio.Task[SendResult]) -> None:
        if self.last_of_chat.get(chat_id) is task:
            del self.last_of_chat[chat_id]


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
        observe: Callable[[str, int], None] | None = None,
    ) -> None:
        self.observe = observe
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

    async def run_once(
        self, max_items: int | None = None, max_duration: dt.timedelta | None = None
    ) -> DeliveryReport:
        """Deliver everything that is due now (or about `max_items`, or what can be claimed
        within `max_duration`: the batch claimed last is still sent), then return.

        Items go out in waves: each takes the next item of up to `concurrency` chats (and at
        most half a second's worth) and marks them SENDING in one commit. Waves overlap (the
        next is marked and queued while the one before is still out), and the next batch is
        claimed while the last waves of this one are out, so neither Telegram's answer time
        nor the database idles the rate. A chat's items are in successive waves and each waits
        for the one before, so they keep their order."""
        report = DeliveryReport(observe=self.observe)
        stale = await self.outbox.abandon_stale(self.clock.now())
        if stale:
            log.error("%d deliveries were interrupted mid-send and are marked uncertain", stale)
            report.add(Status.UNCERTAIN, stale)
        run = _Run(self.concurrency)
        claimed = 0
        deadline = None if max_duration is None else self.clock.now() + max_duration
        try:
            while True:
                if not run.waves:
                    if deadline is not None and self.clock.now() >= deadline:
                        report.cut_short = True
                        break
                    limit = (
                        self.batch if max_items is None else min(self.batch, max_items - claimed)
                    )
                    items = (
                        await self.outbox.claim(self.clock.now(), limit, self.lease)
                        if limit > 0
                        else []
                    )
                    if not items:
                        break
                    claimed += len(items)
                    run.waves.extend(self._waves(items))
                # At most two waves out: one being answered, the next queued behind it.
                while len(run.out) >= 2:
                    await run.out.popleft()
                if run.throttled.is_set():
                    # A 429: what is not out yet goes back, in order, behind the paused items.
                    await self._drain(run)
                    run = _Run(self.concurrency)
                    continue
                live = await self._start_wave(run.waves.popleft(), report)
                sends = [
                    run.track(item, functools.partial(self._send_after, item, run=run))
                    for item in live
                ]
                run.out.append(asyncio.create_task(self._finish_wave(live, sends, report)))
        finally:
            await self._drain(run)
        return report

    def _waves(self, items: list[Item]) -> list[list[Item]]:
        by_chat: dict[int, list[Item]] = {}
        for item in items:
            by_chat.setdefault(item.chat_id, []).append(item)
        # Half a second of sending per wave: enough to cover Telegram's answer time, and what
        # a crash can leave "uncertain" is the two waves out.
        size = max(1, min(self.concurrency, math.ceil(self.limiter.per_second / 2)))
        waves = []
        groups = list(by_chat.values())
        while groups:
            waves.append([group.pop(0) for group in groups[:size]])
            groups = [group for group in groups if group]
        return waves

    async def _drain(self, run: _Run) -> None:
        # Until recorded, items stay SENDING, the state that is never sent again, so a crash
        # meanwhile cannot duplicate them.
        while run.out:
            await run.out.popleft()
        leftover = [item.id for wave in run.waves for item in wave]
        run.waves.clear()
        if leftover:
            await self.outbox.release(leftover, self.clock.now())

    async def _send_after(
        self, item: Item, before: asyncio.Task[SendResult] | None, *, run: _Run
    ) -> SendResult:
        if before is not None and (await before).outcome in _PUT_BACK:
            # The chat's previous item goes back in line: this one must not overtake it.
            return SendResult(Outcome.HELD)
        async with run.in_flight:
            if run.throttled.is_set():
                # A 429 came before this item's turn: back in line behind the throttled one,
                # so the pause does not change the order of sending. (Items already waiting
                # for a slot go after the pause, as Telegram asked.)
                return SendResult(Outcome.HELD)
            await self.limiter.acquire(item.chat_id)
            result = await self._send(item)
        if result.outcome is Outcome.RETRY_AFTER:
            self.limiter.pause(result.retry_after or 1.0)
            run.throttled.set()
        return result

    async def _finish_wave(
        self, live: list[Item], sends: list[asyncio.Task[SendResult]], report: DeliveryReport
    ) -> None:
        results = await asyncio.gather(*sends)
        await self._record_wave(live, results, report)

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
            self._transient_streak = 0  # Telegram answers: whatever failed was no outage
            await self.outbox.finish_sent(sent, self.clock.now())
            report.add(Status.SENT, len(sent))
        put_back = [
            item.id
            for item, result in zip(live, results, strict=True)
            if result.outcome in _PUT_BACK
        ]
        if put_back:
            # Not the items' fault: same attempt count, and still first in line (by id). The
            # limiter was paused when the 429 came, not now, which may be after it.
            await self.outbox.release(put_back, self.clock.now())
            for result in results:
                if result.outcome in _PUT_BACK:
                    report.add(result.outcome.value)
        for item, result in zip(live, results, strict=True):
            if result.outcome is not Outcome.SENT and result.outcome not in _PUT_BACK:
                await self._record(item, result, report)  # one at a time: they are few

    async def _send(self, item: Item) -> SendResult:
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
        """An outcome other than sent or put back (_record_wave records those together)."""
        now = self.clock.now()
        match result.outcome:
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
