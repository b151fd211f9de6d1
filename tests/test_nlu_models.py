"""The model service with fakes (issue 18): retraining in the background with progress and one
at a time, both models scored on the same held-out examples, promotion only when no language
got worse beyond the tolerance unless an admin overrides with a reason, restore, roles, audit."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import pytest

from bot.core.domain_events import Origin
from bot.core.nlu_models import Progress, TrainedModel
from bot.core.nlu_review import LabelledExample
from bot.core.nlu_scores import compare
from bot.core.roles import NotAllowed, Staff
from bot.core.understanding import Thresholds
from bot.services.nlu_models import NluModelService, PromotionRefused, TrainingBusy
from tests.fakes.core import FixedClock, MemoryAudit
from tests.fakes.nlu_models import FakeLab, FakeServer
from tests.fakes.nlu_review import MemoryModelVersions

NOW = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)
ADMIN, ORGANISER, VIEWER = Staff(1, "admin"), Staff(2, "organiser"), Staff(3, "viewer")


def examples() -> list[LabelledExample]:
    return [
        LabelledExample("parcel sms wants card", "en", "smishing", False),
        LabelledExample("a parcel text asks to pay", "en", "smishing", True),
    ]


def make() -> tuple[NluModelService, FakeLab, FakeServer, MemoryModelVersions, MemoryAudit]:
    lab, server, versions, audit = FakeLab(), FakeServer(), MemoryModelVersions(), MemoryAudit()

    async def reviewed() -> list[LabelledExample]:
        return examples()

    service = NluModelService(
        lab, server, versions, audit, FixedClock(NOW), reviewed, Thresholds(0.3, 0.05), 0.01
    )
    return service, lab, server, versions, audit


async def test_retrain_scores_both_models_on_the_same_examples_then_promotes() -> None:
    service, lab, server, versions, audit = make()
    lab.release.clear()
    version = await service.retrain(Origin(2, staff=ORGANISER), NOW)
    await asyncio.sleep(0)
    assert service.progress(version) == "training"
    with pytest.raises(TrainingBusy):  # one at a time
        await service.retrain(Origin(1, staff=ADMIN), NOW)
    lab.release.set()
    await service.wait()
    stored = await versions.get(version)
    assert stored is not None and stored.status == "trained" and stored.input_hash == "abc"
    # Held-out reviewed examples are tested on, never trained on.
    assert [e.text for e in lab.trained_on] == ["parcel sms wants card"]
    assert [e.text for e in lab.extra] == ["a parcel text asks to pay"]
    scores = stored.scores
    assert scores is not None and scores["acceptable"]
    assert scores["running"]["en"]["accuracy"] < scores["candidate"]["en"]["accuracy"]
    assert scores["changed_confusions"]["en"][0]["gold"] == "smishing"

    promoted = await service.promote(version, Origin(2, staff=ORGANISER), NOW)
    assert promoted.active and promoted.promoted_by == 2
    assert server.loaded == ["/srv/var/nlu/models/abc.tar.gz"]
    shipped = next(v for v in await versions.all() if v.input_hash == "shipped")
    assert shipped.status == "retired" and not shipped.active

    restored = await service.restore(Origin(1, staff=ADMIN), NOW)
    assert restored.id == shipped.id and restored.active
    assert server.loaded[-1] == "/app/nlu/models/nlu.tar.gz"
    assert [a for _, a, _ in audit.rows] == ["nlu_retrain", "nlu_promoted", "nlu_restored"]


async def test_a_worse_candidate_needs_an_admin_and_a_reason() -> None:
    service, lab, server, versions, audit = make()
    lab.candidate = {"какво е фишинг": "smishing"}  # Bulgarian gets worse
    version = await service.retrain(Origin(2, staff=ORGANISER), NOW)
    await service.wait()
    stored = await versions.get(version)
    assert stored is not None and stored.scores is not None
    assert not stored.scores["acceptable"]
    assert {w["language"] for w in stored.scores["worse"]} == {"bg"}
    with pytest.raises(PromotionRefused):
        await service.promote(version, Origin(1, staff=ADMIN), NOW)
    with pytest.raises(NotAllowed):
        await service.promote(version, Origin(2, staff=ORGANISER), NOW, "trust me")
    assert server.loaded == []
    promoted = await service.promote(version, Origin(1, staff=ADMIN), NOW, "campaign week")
    assert promoted.override_reason == "campaign week"
    assert audit.rows[-1][2]["override"] == "campaign week"


async def test_viewers_only_look_and_a_failed_training_is_recorded() -> None:
    service, lab, _server, versions, _audit = make()
    with pytest.raises(NotAllowed):
        await service.retrain(Origin(3, staff=VIEWER), NOW)

    async def broken(examples: Sequence[LabelledExample], progress: Progress) -> TrainedModel:
        raise RuntimeError("rasa train exited with 1")

    lab.train = broken  # type: ignore[method-assign]
    version = await service.retrain(Origin(1, staff=ADMIN), NOW)
    await service.wait()
    stored = await versions.get(version)
    assert stored is not None and stored.status == "failed"
    with pytest.raises(PromotionRefused):
        await service.promote(version, Origin(1, staff=ADMIN), NOW)
    with pytest.raises(PromotionRefused):
        await service.restore(Origin(1, staff=ADMIN), NOW)


def test_tolerance() -> None:
    before = {"en": [("a", "a")] * 99 + [("b", "a")]}
    slightly = {"en": [("a", "a")] * 98 + [("b", "a"), ("a", "b")]}
    assert compare(before, slightly, 0.01).worse == ()  # one point lower: within
    assert compare(before, slightly, 0.0).worse != ()
