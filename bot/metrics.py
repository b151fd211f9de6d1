"""Prometheus metrics of one bot process (exposed at /metrics in webhook mode). Each Metrics
object has its own registry, so that tests and several applications in one process never share
counters."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.messages import Incoming, Outcome
from bot.core.ports import NLU, Parse
from bot.core.rollups import Activity, message_kind


class Metrics:
    def __init__(self, activity: Activity | None = None) -> None:
        # The dashboard's daily figures, counted alongside (None: not counted).
        self.activity = activity
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "ecsm_updates_handled_total",
            "Telegram updates handled, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.replies = Counter(
            "ecsm_replies_total",
            "Answers to users, by outcome (answer, fallback, ambiguous, nlu_unavailable...)",
            ["outcome"],
            registry=self.registry,
        )
        self.nlu_latency = Histogram(
            "ecsm_nlu_latency_seconds",
            "Time for one NLU parse, failures included",
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0),
            registry=self.registry,
        )
        self.nlu_failures = Counter(
            "ecsm_nlu_failures_total", "NLU parses that failed or timed out", registry=self.registry
        )
        self.deliveries = Counter(
            "ecsm_deliveries_total",
            "Messages the bot sent on its own initiative, by outcome",
            ["status"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "ecsm_outbox_depth", "Outbox items waiting to be sent", registry=self.registry
        )
        self.inbound_pending = Gauge(
            "ecsm_inbound_pending",
            "Acknowledged webhook updates not yet handled",
            registry=self.registry,
        )

    def reply(self, outcome: Outcome) -> None:
        label = outcome.events[0] if outcome.events else ("answer" if outcome.topic else "reply")
        self.replies.labels(label).inc()

    def message(self, incoming: Incoming, outcome: Outcome) -> None:
        """One message handled, for the dashboard's daily figures."""
        if self.activity is not None:
            kind = message_kind(
                incoming.command is not None,
                incoming.callback is not None,
                incoming.text is not None,
                outcome,
            )
            self.activity.message(incoming.user_id, kind, outcome)

    def delivered(self, status: str, count: int) -> None:
        self.deliveries.labels(status).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MeasuredNLU:
    """The NLU port with its latency recorded."""

    def __init__(self, nlu: NLU, metrics: Metrics) -> None:
        self.nlu = nlu
        self.metrics = metrics

    async def parse(self, text: str) -> Parse:
        started = time.perf_counter()
        try:
            return await self.nlu.parse(text)
        except Exception:
            self.metrics.nlu_failures.inc()
            raise
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.nlu_latency.observe(elapsed)
            if self.metrics.activity is not None:
                self.metrics.activity.nlu_latency(elapsed)
