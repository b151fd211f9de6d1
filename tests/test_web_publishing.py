"""The dashboard's events, announcements and scam-alert pages (issue 17) with TestClient on the
services' memory fakes: what each page stores through the service, what it refuses (a viewer,
another region, a form without its CSRF token, a bad file) and what it shows."""

from __future__ import annotations

import dataclasses
import datetime as dt

import httpx2
import pytest
from starlette.testclient import TestClient

from bot.core.alerts import AlertStatus
from bot.core.events import EventDraft
from bot.core.outbox_refs import announcement_ref
from bot.core.outbox_status import Status
from bot.core.ports import Audience, Scheduled
from bot.web.tools import AudienceSizes
from tests.auxil.dashboard import ADMIN, FakeDashboard, fake_dashboard
from tests.auxil.events import draft
from tests.auxil.publishing import Publishing, event_form, events_yaml, with_publishing
from tests.auxil.web_pages import add_staff, client_for, csrf_of, sign_in_link, signed_in

ORGANISER, REGIONAL, VIEWER = 2001, 2002, 2003


@pytest.fixture
async def site() -> tuple[FakeDashboard, Publishing]:
    fake = fake_dashboard()
    stores = with_publishing(fake)
    await add_staff(fake, ORGANISER, "organiser")
    await add_staff(fake, REGIONAL, "organiser", frozenset({"varna"}))
    await add_staff(fake, VIEWER, "viewer")
    return fake, stores


def upcoming(key: str = "webinar-phishing", region: str = "plovdiv") -> EventDraft:
    """An event of the week after the tests' NOW."""
    return draft(key, days=10, region=region)


async def as_user(fake: FakeDashboard, user: int) -> TestClient:
    return signed_in(client_for(fake), await sign_in_link(fake, user))


def post(client: TestClient, page: str, action: str, fields: dict[str, str]) -> httpx2.Response:
    token = csrf_of(client.get(page).text)
    reply: httpx2.Response = client.post(
        action, data={**fields, "csrf_token": token}, follow_redirects=False
    )
    return reply


# --- events -----------------------------------------------------------------------------------


async def test_an_organiser_creates_an_event_through_the_service(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    reply = post(client, "/events/new", "/events/new", event_form())
    assert reply.status_code == 303, reply.text
    [event] = stores.events.rows.values()
    assert event.draft.texts["bg"].title == "Фишинг за магазини"
    assert event.draft.start == dt.datetime(2026, 10, 19, 18, 0, tzinfo=event.draft.start.tzinfo)
    assert str(event.draft.start.tzinfo) == "Europe/Sofia"
    assert ("event_created") in fake.audit.actions_of(ORGANISER)
    page = client.get("/events").text
    assert "Phishing for shops" in page and f'id="event-{event.id}"' in page


async def test_a_wrong_event_is_listed_with_every_problem_and_not_stored(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    form = event_form(start="2026-10-01T10:00", end="2026-09-30T10:00", title_bg="", place="")
    reply = post(client, "/events/new", "/events/new", form)
    assert reply.status_code == 400
    assert 'id="problems"' in reply.text
    for words in ("The start is in the past.", "The end is before the start.", "needs a place"):
        assert words in reply.text
    assert not stores.events.rows


async def test_editing_an_event_tells_who_asked_and_cancelling_too(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    event = await stores.events.save(upcoming(region="varna"), None, fake.clock.now())
    await stores.reminders.add(555, event.id, fake.clock.now())
    client = await as_user(fake, REGIONAL)
    assert client.get(f"/events/{event.id}").status_code == 200
    form = event_form(region="varna", title="A new title")
    reply = post(client, f"/events/{event.id}", f"/events/{event.id}", form)
    assert reply.status_code == 303, reply.text
    assert stores.events.rows[event.id].draft.texts["en"].title == "A new title"
    assert stores.events.rows[event.id].draft.key == event.draft.key  # the same event
    notices = [item for item in stores.deliveries.pending() if item.user_id == 555]
    assert [n.kind for n in notices] == ["event_notice"]
    reply = post(client, "/events", f"/events/{event.id}/cancel", {})
    assert reply.status_code == 303
    assert not stores.events.rows[event.id].active
    # The notice of the change, not yet sent, gives way to the notice of the cancellation.
    [notice] = [i for i in stores.deliveries.pending() if i.user_id == 555]
    assert notice.key == f"notice:{event.id}:3:555"
    assert "event_cancelled" in fake.audit.actions_of(REGIONAL)


async def test_a_regional_organiser_is_refused_another_regions_event(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    theirs = await stores.events.save(upcoming(key="plovdiv-one"), None, fake.clock.now())
    mine = await stores.events.save(
        upcoming(key="varna-one", region="varna"), None, fake.clock.now()
    )
    client = await as_user(fake, REGIONAL)
    listing = client.get("/events").text
    assert f'id="event-{mine.id}"' in listing and f'id="event-{theirs.id}"' not in listing
    assert client.get(f"/events/{theirs.id}").status_code == 403
    assert post(client, "/events", f"/events/{theirs.id}/cancel", {}).status_code == 403
    # Moving its own event to another region, or creating one there, is refused too.
    moved = post(client, f"/events/{mine.id}", f"/events/{mine.id}", event_form("plovdiv"))
    created = post(client, "/events/new", "/events/new", event_form("plovdiv"))
    assert moved.status_code == created.status_code == 403
    assert stores.events.rows[mine.id].draft.region == "varna"
    assert len(stores.events.rows) == 2 and stores.events.rows[theirs.id].active


async def test_a_viewer_reads_the_events_and_changes_nothing(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    event = await stores.events.save(upcoming(), None, fake.clock.now())
    client = await as_user(fake, VIEWER)
    page = client.get("/events")
    assert page.status_code == 200 and "Phishing for shops" in page.text
    assert "/events/new" not in page.text and "/cancel" not in page.text
    assert client.get("/events/new").status_code == 403
    assert post(client, "/events", "/events/new", event_form()).status_code == 403
    assert post(client, "/events", f"/events/{event.id}/cancel", {}).status_code == 403
    assert stores.events.rows[event.id].active and len(stores.events.rows) == 1


async def test_a_form_without_its_csrf_token_is_refused(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    reply = client.post("/events/new", data=event_form(), follow_redirects=False)
    assert reply.status_code == 403 and 'data-reason="csrf"' in reply.text
    assert not stores.events.rows


def upload(client: TestClient, name: str, content: bytes) -> httpx2.Response:
    token = csrf_of(client.get("/events").text)
    reply: httpx2.Response = client.post(
        "/events/import",
        data={"csrf_token": token},
        files={"file": (name, content)},
        follow_redirects=False,
    )
    return reply


async def test_importing_a_file_saves_every_event_or_none(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    bad = events_yaml(
        ("good-one", "plovdiv", "2026-10-20 18:00"),
        ("bad-region", "atlantis", "2026-10-21 18:00"),
        ("in-the-past", "varna", "2026-10-01 18:00"),
    )
    reply = upload(client, "events.yml", bad)
    assert reply.status_code == 400
    assert 'id="import-errors"' in reply.text
    assert "event 2 (key “bad-region”): atlantis is not one of the regions I know." in reply.text
    assert "event 3 (key “in-the-past”): The start is in the past." in reply.text
    assert not stores.events.rows
    # The same rows, worded in Bulgarian on the Bulgarian page.
    token = csrf_of(client.get("/events").text)
    client.post("/language", data={"lang": "bg", "csrf_token": token, "next": "/events"})
    reply = upload(client, "events.yml", bad)
    assert reply.status_code == 400 and '<html lang="bg">' in reply.text
    assert "събитие 2 (ключ „bad-region“)" in reply.text
    assert "събитие 3 (ключ „in-the-past“)" in reply.text
    reply = upload(client, "events.csv", b"key,start\nx,2026-10-20 18:00\n")
    assert "файлът: липсва колона „title_bg“" in reply.text
    token = csrf_of(client.get("/events").text)
    client.post("/language", data={"lang": "en", "csrf_token": token, "next": "/events"})
    good = events_yaml(
        ("good-one", "plovdiv", "2026-10-20 18:00"), ("good-two", "varna", "2026-10-21 18:00")
    )
    reply = upload(client, "events.yml", good)
    assert reply.status_code == 303, reply.text
    assert sorted(e.draft.key for e in stores.events.rows.values()) == ["good-one", "good-two"]
    assert fake.audit.actions_of(ORGANISER).count("event_imported") == 2
    assert stores.units.commits >= 1
    assert 'data-done="imported"' in client.get(reply.headers["location"]).text


async def test_csv_and_icalendar_files_are_read_and_other_files_refused(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:ics-one\r\nSUMMARY:Webinar\r\nDTSTART;TZID=Europe/Sofia:20261020T180000\r\n"
        b"DTEND;TZID=Europe/Sofia:20261020T200000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    reply = upload(client, "calendar.ics", ics)
    # What the file lacks (the Bulgarian title, the region...) is listed, nothing stored.
    assert reply.status_code == 400 and "VEVENT 1" in reply.text
    reply = upload(client, "events.csv", b"key,start\nx,2026-10-20 18:00\n")
    assert reply.status_code == 400 and "the file: missing column “title_bg”" in reply.text
    reply = upload(client, "events.txt", b"hello")
    assert reply.status_code == 400 and ".yml" in reply.text
    assert not stores.events.rows


async def test_a_regional_organiser_imports_only_its_regions_events(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    elsewhere = await stores.events.save(upcoming(key="shared-key"), None, fake.clock.now())
    client = await as_user(fake, REGIONAL)
    file = events_yaml(
        ("varna-one", "varna", "2026-10-20 18:00"), ("plovdiv-one", "plovdiv", "2026-10-21 18:00")
    )
    reply = upload(client, "events.yml", file)
    assert reply.status_code == 400 and "plovdiv-one" in reply.text
    # Nor may a row take over another region's event by its key.
    reply = upload(client, "events.yml", events_yaml(("shared-key", "varna", "2026-10-20 18:00")))
    assert reply.status_code == 400 and "shared-key" in reply.text
    assert list(stores.events.rows) == [elsewhere.id]
    assert stores.events.rows[elsewhere.id].draft.region == "plovdiv"


# --- announcements ----------------------------------------------------------------------------

ANNOUNCEMENT = {
    "text": (
        '<b>Scam warning</b> &amp; more: <a href="https://cert.bg">read</a>\n'
        "<tg-spoiler>x</tg-spoiler>"
    ),
    "button_label": "Read more",
    "button_url": "https://cert.bg/alerts",
    "segment": "all",
    "language": "",
    "region": "",
    "event": "",
    "when": "now",
    "send_at": "",
}


async def test_the_preview_is_checked_and_drawn_as_telegram_shows_it(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, _ = site
    client = await as_user(fake, ORGANISER)
    fields = ANNOUNCEMENT
    reply = post(client, "/announcements", "/announcements/preview", fields)
    assert reply.status_code == 200
    html = reply.text
    assert "<b>Scam warning</b> &amp; more" in html
    assert 'href="https://cert.bg" rel="noopener noreferrer"' in html
    assert '<span class="tg-spoiler">x</span>' in html
    assert 'class="tg-button" href="https://cert.bg/alerts"' in html
    assert 'data-size="3"' in html and "preview-problems" not in html
    # What the chat refuses, the preview names: a bare &, an unknown tag, a script.
    for text, words in (
        ("Fish & chips", "a &#39;&amp;&#39; must be written as &amp;amp;"),
        ("<script>alert(1)</script>", "tag &lt;script&gt; is not supported by Telegram"),
        ("", "The message is empty."),
        ("x" * 5000, "Telegram allows at most 4,096"),
    ):
        reply = post(client, "/announcements", "/announcements/preview", {**fields, "text": text})
        assert 'id="preview-problems"' in reply.text and words in reply.text, text
        assert "<script>" not in reply.text


async def test_an_announcement_is_confirmed_then_scheduled_and_cancelled(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    fields = {
        **ANNOUNCEMENT,
        "text": "<b>Hello</b>",
        "when": "later",
        "send_at": "2026-10-13T10:00",
    }
    confirm = post(client, "/announcements", "/announcements/confirm", fields)
    assert confirm.status_code == 200 and 'id="confirm-summary"' in confirm.text
    assert not stores.broadcasts.rows  # nothing until confirmed
    token = csrf_of(confirm.text)
    sent = client.post(
        "/announcements",
        data={**fields, "csrf_token": token, "confirmed": "yes"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    [record] = stores.broadcasts.rows.values()
    assert record.payload["text"] == "<b>Hello</b>"
    assert record.payload["buttons"][0][0]["url"] == "https://cert.bg/alerts"
    assert record.send_at == dt.datetime(2026, 10, 13, 7, 0, tzinfo=dt.UTC)
    assert "broadcast_created" in fake.audit.actions_of(ORGANISER)
    # Its progress, as the page polls it, and the history's counts.
    await stores.deliveries.schedule(
        [
            Scheduled(
                f"k{i}", i, "announcement", {}, fake.clock.now(), ref=announcement_ref(record.id)
            )
            for i in range(3)
        ],
        fake.clock.now(),
    )
    stores.deliveries.status["k0"] = Status.SENT
    progress = client.get(f"/announcements/{record.id}/progress").text
    assert 'id="count-sent">1<' in progress and 'id="count-waiting">2<' in progress
    status = client.get(f"/announcements/{record.id}").text
    assert 'data-poll="/announcements/' in status and "cancel-announcement" in status
    reply = post(client, f"/announcements/{record.id}", f"/announcements/{record.id}/cancel", {})
    assert reply.status_code == 303
    assert stores.broadcasts.rows[record.id].status == "cancelled"
    assert f'id="announcement-{record.id}"' in client.get("/announcements").text


async def test_an_announcement_in_the_past_or_unconfirmed_is_not_sent(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    past = {**ANNOUNCEMENT, "when": "later", "send_at": "2026-10-01T10:00"}
    reply = post(client, "/announcements", "/announcements/confirm", past)
    assert reply.status_code == 400 and "in the future" in reply.text
    reply = post(client, "/announcements", "/announcements", {**ANNOUNCEMENT, "confirmed": "no"})
    assert reply.status_code == 200 and 'id="composer"' in reply.text
    assert not stores.broadcasts.rows


async def test_a_regional_organiser_announces_only_to_its_region(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, REGIONAL)
    page = client.get("/announcements").text
    assert '<option value="varna"' in page and '<option value="plovdiv"' not in page
    for region in ("", "plovdiv"):
        fields = {**ANNOUNCEMENT, "region": region, "confirmed": "yes"}
        reply = post(client, "/announcements", "/announcements", fields)
        assert reply.status_code == 400 and "one of your regions" in reply.text
    reply = post(
        client,
        "/announcements",
        "/announcements",
        {**ANNOUNCEMENT, "region": "varna", "confirmed": "yes"},
    )
    assert reply.status_code == 303
    [record] = stores.broadcasts.rows.values()
    assert record.audience == Audience(region="varna")
    # Everyone's announcement (of no region) is not theirs to see or cancel.
    other = await stores.broadcasts.create(
        ADMIN, {"text": "x"}, Audience(), fake.clock.now(), fake.clock.now()
    )
    assert client.get(f"/announcements/{other.id}").status_code == 403
    assert (
        post(client, "/announcements", f"/announcements/{other.id}/cancel", {}).status_code == 403
    )


async def test_a_viewer_cannot_announce(site: tuple[FakeDashboard, Publishing]) -> None:
    fake, stores = site
    client = await as_user(fake, VIEWER)
    page = client.get("/announcements")
    assert page.status_code == 200 and 'id="composer"' not in page.text
    fields = {**ANNOUNCEMENT, "confirmed": "yes"}
    assert post(client, "/announcements", "/announcements", fields).status_code == 403
    assert not stores.broadcasts.rows


# --- scam alerts ------------------------------------------------------------------------------

ALERT = {
    "default_language": "en",
    "title_en": "Fake parcel fees",
    "looks_like_en": "An SMS says a parcel waits for a customs fee.",
    "advice_en": "Do not pay; couriers do not ask for fees by SMS.",
    "examples_en": "Your parcel is held. Pay 1.99 EUR at parcel-fee.example\n\nSecond example text",
    "source_url": "https://cert.bg",
}


async def test_an_alert_is_published_edited_and_retired(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    reply = post(client, "/alerts/new", "/alerts/new", {**ALERT, "publish": "yes"})
    assert reply.status_code == 303, reply.text
    [alert] = stores.alerts.rows.values()
    assert alert.status is AlertStatus.PUBLISHED
    assert alert.content["en"].examples == (
        "Your parcel is held. Pay 1.99 EUR at parcel-fee.example",
        "Second example text",
    )
    assert "bg" not in alert.content  # left empty: shown in the main language
    await stores.alerts.count_match(alert.id, fake.clock.now())
    page = client.get("/alerts").text
    assert f'id="alert-{alert.id}"' in page and "Fake parcel fees" in page
    assert '<td class="matches">1</td>' in page
    edited = {**ALERT, "title_en": "Fake parcel fees (customs)"}
    reply = post(client, f"/alerts/{alert.id}", f"/alerts/{alert.id}", edited)
    assert reply.status_code == 303
    assert stores.alerts.rows[alert.id].content["en"].title == "Fake parcel fees (customs)"
    reply = post(client, "/alerts", f"/alerts/{alert.id}/retire", {})
    assert reply.status_code == 303
    assert stores.alerts.rows[alert.id].status is AlertStatus.RETIRED
    actions = fake.audit.actions_of(ORGANISER)
    for action in ("alert_created", "alert_published", "alert_edited", "alert_retired"):
        assert action in actions


async def test_a_draft_alert_and_what_is_wrong_with_one(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    client = await as_user(fake, ORGANISER)
    reply = post(
        client, "/alerts/new", "/alerts/new", {**ALERT, "examples_en": "", "publish": "yes"}
    )
    assert reply.status_code == 400 and "Example messages (English) is missing." in reply.text
    assert not stores.alerts.rows
    reply = post(client, "/alerts/new", "/alerts/new", {**ALERT, "publish": "no"})
    assert reply.status_code == 303
    [alert] = stores.alerts.rows.values()
    assert alert.status is AlertStatus.DRAFT
    reply = post(client, "/alerts", f"/alerts/{alert.id}/publish", {})
    assert stores.alerts.rows[alert.id].status is AlertStatus.PUBLISHED


async def test_viewers_and_regional_organisers_change_no_alert(
    site: tuple[FakeDashboard, Publishing],
) -> None:
    fake, stores = site
    for user in (VIEWER, REGIONAL):
        client = await as_user(fake, user)
        reply = post(client, "/events", "/alerts/new", {**ALERT, "publish": "yes"})
        assert reply.status_code == 403
    assert not stores.alerts.rows
    viewer = await as_user(fake, VIEWER)
    assert viewer.get("/alerts").status_code == 200
    # An alert belongs to no region: an organiser scoped to regions does not see them.
    assert (await as_user(fake, REGIONAL)).get("/alerts").status_code == 403


@pytest.mark.parametrize(
    "page", ["/events", "/announcements", "/alerts", "/events/new", "/alerts/new"]
)
@pytest.mark.parametrize("lang", ["en", "bg"])
async def test_every_page_in_both_languages(
    site: tuple[FakeDashboard, Publishing], page: str, lang: str
) -> None:
    fake, stores = site
    await stores.events.save(upcoming(), None, fake.clock.now())
    client = await as_user(fake, ADMIN)
    token = csrf_of(client.get("/events").text)
    client.post("/language", data={"lang": lang, "csrf_token": token, "next": page})
    reply = client.get(page)
    assert reply.status_code == 200 and f'<html lang="{lang}">' in reply.text


async def test_the_history_counts_every_announcement_in_one_read(
    site: tuple[FakeDashboard, Publishing], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, stores = site
    now = fake.clock.now()
    records = [
        await stores.broadcasts.create(ORGANISER, {"text": f"n{n}"}, Audience(), now, now)
        for n in range(3)
    ]
    for record, sent in zip(records, (1, 2, 4), strict=True):
        ref = announcement_ref(record.id)
        items = [Scheduled(f"{ref}:{u}", u, "announcement", {}, now, ref=ref) for u in range(5)]
        await stores.deliveries.schedule(items, now)
        for item in items[:sent]:
            stores.deliveries.status[item.key] = Status.SENT
    # What the page asks for: one read for the whole history, none per announcement.
    asked: list[tuple[str, ...]] = []
    whole = stores.deliveries.counts_by_ref

    async def counted(refs: list[str]) -> dict[str, dict[str, int]]:
        asked.append(tuple(refs))
        return await whole(refs)

    monkeypatch.setattr(stores.deliveries, "counts_by_ref", counted)
    client = await as_user(fake, ORGANISER)
    monkeypatch.setattr(stores.deliveries, "counts", None)  # a call per row would fail
    page = client.get("/announcements").text
    assert asked == [tuple(announcement_ref(r.id) for r in reversed(records))]
    for record, sent in zip(records, (1, 2, 4), strict=True):
        row = page.split(f'id="announcement-{record.id}"')[1].split("</tr>")[0]
        assert [cell.split("<")[0] for cell in row.split("<td>")[-4:]] == [
            str(sent),
            str(5 - sent),
            "0",
            "0",
        ]


async def test_the_preview_counts_an_audience_again_only_when_it_changes_or_is_stale(
    site: tuple[FakeDashboard, Publishing], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, stores = site
    assert fake.services.announcements is not None
    seconds = [0.0]
    fake.services.announcements = dataclasses.replace(
        fake.services.announcements, sizes=AudienceSizes(keep=10, clock=lambda: seconds[0])
    )
    counted: list[Audience] = []

    async def audience_size(audience: Audience) -> int:
        counted.append(audience)
        return 40 + len(counted)

    monkeypatch.setattr(stores.broadcasts, "audience_size", audience_size)
    client = await as_user(fake, ORGANISER)
    token = csrf_of(client.get("/announcements").text)

    def preview(**changed: str) -> str:
        fields = {**ANNOUNCEMENT, **changed, "csrf_token": token}
        reply = client.post("/announcements/preview", data=fields)
        assert reply.status_code == 200
        html: str = reply.text
        return html

    # Typing: the text changes, the audience does not; counted once.
    for text in ("<b>S</b>", "<b>Sc</b>", "<b>Scam</b>"):
        assert 'data-size="41"' in preview(text=text)
    assert counted == [Audience()]
    # Another audience is counted at once; going back to the first uses its kept size.
    assert 'data-size="42"' in preview(region="varna", language="bg")
    assert 'data-size="41"' in preview()
    assert counted == [Audience(), Audience(language="bg", region="varna")]
    # A few seconds on, it is counted again.
    seconds[0] = 10.5
    assert 'data-size="43"' in preview()
    assert len(counted) == 3
