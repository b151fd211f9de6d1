"""Retrain, evaluate, promote and restore the NLU model (issue 18), for the dashboard and the
command line alike.

- `retrain` trains a candidate from the repository's data plus the reviewed examples, in the
  background (one at a time in this process, and none while the versions say one is training),
  then scores it beside the running model on the same held-out examples in the same run.
- `promote` loads a trained candidate into the running NLU server, when no language got worse
  beyond the tolerance, or when an admin overrides with a reason.
- `restore` serves the model served before the current one again.
Every step is audited with who did it; every version is kept with its scores."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.domain_events import Origin
from bot.core.nlu_models import ModelLab, ModelServer, ModelVersion, ModelVersions
from bot.core.nlu_review import LabelledExample
from bot.core.nlu_scores import Comparison, Pair, compare, decision
from bot.core.ports import Audit, Clock
from bot.core.roles import check
from bot.core.understanding import Thresholds

log = logging.getLogger(__name__)
# A version left "training" longer than this (its process died) no longer blocks a new one.
STALE_TRAINING = dt.timedelta(hours=3)


class TrainingBusy(Exception):
    """A training runs already (a refusal, not a fault)."""


class PromotionRefused(Exception):
    """The candidate scores worse and no admin overrode with a reason, or it is not trained."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Training:
    version_id: int
    progress: str = "queued"
    task: asyncio.Task[None] | None = None


class NluModelService:
    def __init__(
        self,
        lab: ModelLab,
        server: ModelServer,
        versions: ModelVersions,
        audit: Audit,
        clock: Clock,
        examples: Callable[[], Awaitable[list[LabelledExample]]],
        thresholds: Thresholds,
        tolerance: float,
    ) -> None:
        self.lab = lab
        self.server = server
        self.versions = versions
        self.audit = audit
        self.clock = clock
        # The reviewed examples (NluReviewService.examples), read when a training starts.
        self._examples = examples
        self.thresholds = thresholds
        self.tolerance = tolerance
        self.training: Training | None = None
        self._lock = asyncio.Lock()

    # --- reading ---------------------------------------------------------------------------

    async def all(self) -> list[ModelVersion]:
        return await self.versions.all()

    def progress(self, version_id: int) -> str | None:
        training = self.training
        if training is not None and training.version_id == version_id:
            return training.progress
        return None

    # --- retraining ------------------------------------------------------------------------

    async def retrain(self, origin: Origin, now: dt.datetime) -> int:
        """Start a training in the background; the new version's id (TrainingBusy if one runs)."""
        if origin.staff is not None:
            check(origin.staff, "nlu.train")
        async with self._lock:
            if self.training is not None and self.training.task and not self.training.task.done():
                raise TrainingBusy
            for version in await self.versions.all():
                if version.status == "training" and now - version.created_at < STALE_TRAINING:
                    raise TrainingBusy
            examples = await self._examples()
            trained_on = [e for e in examples if not e.held_out]
            version_id = await self.versions.add(
                "", "", "training", origin.actor, len(trained_on), now
            )
            await self.audit.record(
                origin.actor,
                "nlu_retrain",
                {**origin.details, "version": version_id, "examples": len(trained_on)},
                now,
            )
            training = Training(version_id)
            self.training = training
            training.task = asyncio.create_task(self._run(training, examples))
        return version_id

    async def wait(self) -> None:
        """Until the training started here ends (the command line waits; tests too)."""
        training = self.training
        if training is not None and training.task is not None:
            with contextlib.suppress(Exception):
                await training.task

    async def _run(self, training: Training, examples: list[LabelledExample]) -> None:
        def progress(line: str) -> None:
            training.progress = line

        version_id = training.version_id
        try:
            trained = await self.lab.train([e for e in examples if not e.held_out], progress)
            await self.versions.update(
                version_id,
                input_hash=trained.input_hash,
                path=trained.path,
                train_seconds=trained.seconds,
            )
            comparison = await self.evaluate(trained.path, examples, progress)
            await self.versions.update(version_id, status="trained", scores=comparison.as_json())
            progress("done")
        except Exception:
            log.exception("training NLU version %s failed", version_id)
            progress("failed")
            await self.versions.update(version_id, status="failed")

    async def evaluate(
        self, candidate: str, examples: list[LabelledExample], progress: Callable[[str], None]
    ) -> Comparison:
        """Both models on the same held-out examples (the repository's and the reviewed ones
        held out), in this run."""
        held = self.lab.held_out([e for e in examples if e.held_out])
        texts = [h.text for h in held]
        progress("scoring the running model")
        running = await self.lab.parse_with(None, texts, progress)
        progress("scoring the candidate")
        new = await self.lab.parse_with(candidate, texts, progress)
        before: dict[str, list[Pair]] = defaultdict(list)
        after: dict[str, list[Pair]] = defaultdict(list)
        for example, a, b in zip(held, running, new, strict=True):
            before[example.language].append((example.intent, decision(a, self.thresholds)))
            after[example.language].append((example.intent, decision(b, self.thresholds)))
        return compare(before, after, self.tolerance)

    # --- promoting and restoring -----------------------------------------------------------

    async def promote(
        self, version_id: int, origin: Origin, now: dt.datetime, override: str | None = None
    ) -> ModelVersion:
        if origin.staff is not None:
            check(origin.staff, "nlu.train")
        version = await self.versions.get(version_id)
        if version is None or version.status not in ("trained", "retired") or not version.path:
            raise PromotionRefused("not_trained")
        acceptable = bool(version.scores and version.scores.get("acceptable"))
        reason = (override or "").strip() or None
        if not acceptable:
            if reason is None:
                raise PromotionRefused("worse")
            if origin.staff is not None:
                check(origin.staff, "nlu.override")
        await self._serve(version, origin, now, "nlu_promoted", reason if not acceptable else None)
        promoted = await self.versions.get(version_id)
        assert promoted is not None
        return promoted

    async def restore(self, origin: Origin, now: dt.datetime) -> ModelVersion:
        """Serve the model served before the current one (the shipped one if none was)."""
        if origin.staff is not None:
            check(origin.staff, "nlu.train")
        versions = await self.versions.all()
        current = next((v for v in versions if v.active), None)
        earlier = [
            v
            for v in versions
            if v.status == "retired" and v.promoted_at is not None and not v.active
        ]
        earlier.sort(key=lambda v: v.promoted_at or now, reverse=True)
        if current is None or not earlier:
            raise PromotionRefused("nothing_to_restore")
        await self._serve(earlier[0], origin, now, "nlu_restored", None)
        restored = await self.versions.get(earlier[0].id)
        assert restored is not None
        return restored

    async def _serve(
        self,
        version: ModelVersion,
        origin: Origin,
        now: dt.datetime,
        action: str,
        reason: str | None,
    ) -> None:
        versions = await self.versions.all()
        if not any(v.active for v in versions):
            # The model the server started with becomes a version, so it can be restored.
            shipped = await self.versions.add(
                "shipped", self.server.shipped(), "trained", None, 0, now
            )
            await self.versions.activate(shipped, None, now, None)
        await self.server.load(version.path)
        await self.versions.activate(version.id, origin.actor, now, reason)
        details = {**origin.details, "version": version.id, "input_hash": version.input_hash}
        if reason:
            details["override"] = reason
        await self.audit.record(origin.actor, action, details, now)
