"""/review and /models (issue 18) on the memory fakes: the queue grouped per language with the
model's guess; an organiser assigns a topic to a group or one message, marks a new topic or
dismisses (audited, who and when); viewers see and cannot act; a retrain runs in the background
with its progress fragment; promotion refused when worse unless an admin gives a reason; the
previous model restored."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from starlette.testclient import TestClient

from bot.core.understanding import Reading, Thresholds
from bot.services.nlu_models import NluModelService
from bot.services.nlu_review import NluReviewService
from tests.auxil.dashboard import ADMIN, NOW, FakeDashboard, fake_dashboard
from tests.auxil.web_pages import add_staff, client_for, csrf_of, sign_in_link, signed_in
from tests.fakes.core import MemoryAudit
from tests.fakes.nlu_models import FakeLab, FakeServer
from tests.fakes.nlu_review import MemoryModelVersions, MemoryReviewQueue
from tests.fakes.unit_of_work import FakeUnitOfWork

ORGANISER, VIEWER, REGIONAL = 2001, 2003, 2004
USER = 77


@pytest.fixture
async def dashboard() -> FakeDashboard:
    fake = fake_dashboard()
    uow = FakeUnitOfWork(audit=fake.audit)
    review = NluReviewService(uow, fake.services.catalog.taxonomy.topics, 0.5, dt.timedelta(30))
    unsure = Reading("phishing", 0.31, best_guess="phishing")
    for minute, (text, language) in enumerate(
        [
            ("they want my card number for a parcel", "en"),
            ("They want my card number for the parcel!", "en"),
            ("is the lottery win real", "en"),
            ("искат ми номера на картата за колет", "bg"),
        ]
    ):
        await review.answered(text, language, unsure, NOW + dt.timedelta(minutes=minute), USER)
    fake.services.review = review
    lab, server = FakeLab(), FakeServer()
    lab.candidate = {"sms about a parcel": "smishing"}
    fake.services.models = NluModelService(
        lab,
        server,
        MemoryModelVersions(),
        MemoryAudit(),
        fake.clock,
        review.examples,
        Thresholds(0.3, 0.05),
        0.01,
    )
    await add_staff(fake, ORGANISER, "organiser")
    await add_staff(fake, VIEWER, "viewer")
    await add_staff(fake, REGIONAL, "organiser", frozenset({"varna"}))
    return fake


def _queue(dashboard: FakeDashboard) -> MemoryReviewQueue:
    assert dashboard.services.review is not None
    queue = dashboard.services.review.units().nlu_review
    assert isinstance(queue, MemoryReviewQueue)
    return queue


async def test_the_queue_and_decisions(dashboard: FakeDashboard) -> None:
    token = await sign_in_link(dashboard, ORGANISER)
    with client_for(dashboard) as client:
        signed_in(client, token)
        page = client.get("/review")
        assert page.status_code == 200
        groups = re.findall(
            r'class="review-group" data-ids="([\d,]+)" data-language="(\w+)"', page.text
        )
        assert [(len(ids.split(",")), lang) for ids, lang in groups] == [
            (2, "en"),
            (1, "bg"),
            (1, "en"),
        ]
        assert "31%" in page.text and "<code>phishing</code>" in page.text
        assert 'id="group-' in page.text and 'id="item-' in page.text
        only_bg = client.get("/review", params={"language": "bg"})
        assert only_bg.text.count('class="review-group"') == 1
        assert client.get("/review", params={"language": "xx"}).status_code == 400

        parcel, _ = groups[0]
        csrf = csrf_of(page.text)
        sent = {"csrf_token": csrf, "ids": parcel, "decision": "assigned", "language": "en"}
        done = client.post("/review/decide", data={**sent, "topic": "smishing"})
        assert done.status_code == 200 and 'data-done="2"' in done.text
        refused = client.post("/review/decide", data={**sent, "topic": "no_such_topic"})
        assert 'id="problem"' in refused.text
        lottery = next(ids for ids, lang in groups[1:] if lang == "en")
        client.post(
            "/review/decide",
            data={**sent, "ids": lottery, "decision": "new_topic", "topic": ""},
        )
        bulgarian = next(ids for ids, lang in groups if lang == "bg")
        client.post("/review/decide", data={**sent, "ids": bulgarian, "decision": "dismissed"})
        assert client.get("/review").text.count('class="review-group"') == 0
    decided = {
        i.text: (i.decision, i.topic, i.decided_by) for i in _queue(dashboard).items.values()
    }
    assert decided["they want my card number for a parcel"] == ("assigned", "smishing", ORGANISER)
    assert decided["is the lottery win real"] == ("new_topic", None, ORGANISER)
    assert decided["искат ми номера на картата за колет"] == ("dismissed", None, ORGANISER)
    actions = [r for r in dashboard.audit.records if r.action == "nlu_review"]
    assert len(actions) == 3 and actions[0].actor == ORGANISER


async def test_viewers_see_but_cannot_act(dashboard: FakeDashboard) -> None:
    for user, status in ((VIEWER, 200), (REGIONAL, 403)):
        token = await sign_in_link(dashboard, user)
        with client_for(dashboard) as client:
            signed_in(client, token)
            page = client.get("/review")
            assert page.status_code == status
            models = client.get("/models")
            assert models.status_code == status
            if status == 200:
                assert 'id="group-' not in page.text and 'id="retrain"' not in models.text
            csrf = csrf_of(client.get("/audit" if user == VIEWER else "/").text)
            ids = ",".join(str(i) for i in _queue(dashboard).items)
            refused = client.post(
                "/review/decide",
                data={"csrf_token": csrf, "ids": ids, "decision": "dismissed"},
            )
            assert refused.status_code == 403
            assert client.post("/models/retrain", data={"csrf_token": csrf}).status_code == 403
    assert all(i.decision is None for i in _queue(dashboard).items.values())


def _wait_trained(client: TestClient, version: str) -> str:
    for _ in range(200):
        fragment: str = client.get(f"/models/{version}/progress").text
        if 'data-done="true"' in fragment:
            return fragment
        time.sleep(0.02)
    raise AssertionError("the training did not end")


async def test_retrain_promote_override_and_restore(dashboard: FakeDashboard) -> None:
    models = dashboard.services.models
    assert models is not None and isinstance(models.server, FakeServer)
    assert isinstance(models.lab, FakeLab)
    token = await sign_in_link(dashboard, ORGANISER)
    with client_for(dashboard) as client:
        signed_in(client, token)
        page = client.get("/models")
        assert page.status_code == 200 and 'id="retrain"' in page.text
        csrf = csrf_of(page.text)
        models.lab.release.clear()
        started = client.post("/models/retrain", data={"csrf_token": csrf})
        assert 'data-done="retraining"' in started.text
        assert 'data-poll="/models/1/progress"' in started.text
        assert "/static/models.js" in started.text
        busy = client.post("/models/retrain", data={"csrf_token": csrf})
        assert 'data-problem="busy"' in busy.text
        models.lab.release.set()
        assert 'data-status="trained"' in _wait_trained(client, "1")
        page = client.get("/models")
        assert 'data-acceptable="true"' in page.text and 'id="promote-1"' in page.text
        assert 'data-language="en" data-metric="accuracy"' in page.text
        promoted = client.post("/models/1/promote", data={"csrf_token": csrf})
        assert 'data-done="promoted"' in promoted.text
        assert models.server.loaded == ["/srv/var/nlu/models/abc.tar.gz"]

        # A candidate that makes English worse: refused, and an organiser cannot override.
        models.lab.candidate = {"what is phishing": "smishing", "sms about a parcel": "phishing"}
        client.post("/models/retrain", data={"csrf_token": csrf})
        versions = await models.all()
        worse = str(versions[0].id)
        _wait_trained(client, worse)
        page = client.get("/models")
        assert 'data-acceptable="false"' in page.text and 'name="reason"' not in page.text
        refused = client.post(f"/models/{worse}/promote", data={"csrf_token": csrf})
        assert 'data-problem="worse"' in refused.text
        overridden = client.post(
            f"/models/{worse}/promote", data={"csrf_token": csrf, "reason": "urgent wave"}
        )
        assert overridden.status_code == 403
        restored = client.post("/models/restore", data={"csrf_token": csrf})
        assert 'data-done="restored"' in restored.text
        assert models.server.loaded[-1] == "/app/nlu/models/nlu.tar.gz"

    token = await sign_in_link(dashboard, ADMIN)
    with client_for(dashboard) as client:
        signed_in(client, token)
        page = client.get("/models")
        assert 'name="reason"' in page.text
        csrf = csrf_of(page.text)
        done = client.post(
            f"/models/{worse}/promote", data={"csrf_token": csrf, "reason": "urgent wave"}
        )
        assert 'data-done="promoted"' in done.text and "urgent wave" in done.text


async def test_both_languages_render(dashboard: FakeDashboard) -> None:
    token = await sign_in_link(dashboard, ADMIN)
    with client_for(dashboard) as client:
        signed_in(client, token)
        for lang in ("en", "bg"):
            page = client.get("/review")
            csrf = csrf_of(page.text)
            client.post("/language", data={"csrf_token": csrf, "lang": lang, "next": "/review"})
            for path in ("/review", "/models"):
                html = client.get(path).text
                assert f'<html lang="{lang}">' in html
                title = dashboard.services.texts.text(lang, path.strip("/") + ".title")
                assert title in html
                if path == "/models":  # the tolerance written the language's way
                    assert ("0,01" if lang == "bg" else "0.01") in html
