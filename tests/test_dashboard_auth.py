"""The dashboard's sign-in, sessions, CSRF, headers and roles, through Starlette's TestClient on
memory fakes (the browser tests, tests/test_dashboard_browser.py, do the same in Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from starlette.testclient import TestClient

from bot.core.roles import NotAllowed, Staff, allowed, check
from bot.services.events import Origin
from bot.web.telegram_proofs import ProofRefused, verify_login_widget, verify_mini_app
from tests.auxil.dashboard import (
    ADMIN,
    BOT_TOKEN,
    NOW,
    FakeDashboard,
    dashboard_app,
    dashboard_settings,
    fake_dashboard,
    signed_init_data,
    signed_widget_fields,
)
from tests.auxil.run import run_sync

HOUR = dt.timedelta(hours=1)
ORGANISER, REGIONAL, VIEWER, STRANGER = 2001, 2002, 2003, 2999


# --- the rule ----------------------------------------------------------------------------


def test_admin_may_do_everything_anywhere() -> None:
    admin = Staff(1, "admin", frozenset({"varna"}))  # regions never narrow an admin
    assert allowed(admin, "organisers.manage")
    assert allowed(admin, "events.edit", "ruse")
    assert allowed(admin, "announcements.send", None)


def test_organiser_of_every_region_works_but_does_not_manage_organisers() -> None:
    organiser = Staff(2, "organiser")
    assert allowed(organiser, "events.edit", "ruse") and allowed(organiser, "events.edit", None)
    assert allowed(organiser, "announcements.send", None)
    assert not allowed(organiser, "organisers.manage")


def test_regional_organiser_is_held_to_its_regions() -> None:
    regional = Staff(3, "organiser", frozenset({"varna", "ruse"}))
    assert allowed(regional, "events.edit", "varna")
    assert not allowed(regional, "events.edit", "plovdiv")
    # Everyone's announcement and the national figures belong to no one region.
    assert not allowed(regional, "announcements.send", None)
    assert not allowed(regional, "stats.view", None)
    assert allowed(regional, "stats.view", "ruse")
    with pytest.raises(NotAllowed) as refused:
        check(regional, "events.edit", "plovdiv")
    assert (refused.value.permission, refused.value.region) == ("events.edit", "plovdiv")


def test_viewer_reads_and_changes_nothing() -> None:
    viewer = Staff(4, "viewer")
    assert allowed(viewer, "stats.view") and allowed(viewer, "events.view")
    for change in ("events.edit", "announcements.send", "alerts.edit", "organisers.manage"):
        assert not allowed(viewer, change, "varna")
    assert not allowed(None, "stats.view")


def test_an_unknown_permission_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        allowed(Staff(1, "admin"), "events.delete_everything")


# --- what Telegram signed ------------------------------------------------------------------


def test_mini_app_init_data_signed_with_the_token_is_accepted() -> None:
    data = signed_init_data(ORGANISER, NOW - dt.timedelta(minutes=2), language="bg")
    user = verify_mini_app(data, BOT_TOKEN, NOW, HOUR)
    assert (user.user_id, user.language_code) == (ORGANISER, "bg")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (signed_init_data(ORGANISER, NOW - 2 * HOUR), "expired"),
        (signed_init_data(ORGANISER, NOW, token="987654321:another-bot-token-0000000"), "bad"),
        (signed_init_data(ORGANISER, NOW).replace("2001", "1001"), "bad"),  # another user
        (signed_init_data(ORGANISER, NOW + HOUR), "future"),
        ("user=%7B%22id%22%3A2001%7D&auth_date=1&hash=00", "bad"),
        ("", "bad"),
    ],
    ids=["expired", "other-bot", "tampered", "future", "made-up", "empty"],
)
def test_mini_app_init_data_expired_or_forged_is_refused(data: str, reason: str) -> None:
    with pytest.raises(ProofRefused) as refused:
        verify_mini_app(data, BOT_TOKEN, NOW, HOUR)
    assert reason in refused.value.reason


def test_the_login_widget_uses_its_own_key() -> None:
    fields = signed_widget_fields(ORGANISER, NOW)
    assert verify_login_widget(fields, BOT_TOKEN, NOW, HOUR).user_id == ORGANISER
    with pytest.raises(ProofRefused):  # a Mini App's signature is not the widget's
        verify_login_widget(
            dict(re.findall(r"([^&=]+)=([^&]*)", signed_init_data(ORGANISER, NOW))),
            BOT_TOKEN,
            NOW,
            HOUR,
        )
    with pytest.raises(ProofRefused):
        verify_login_widget({**fields, "id": str(ADMIN)}, BOT_TOKEN, NOW, HOUR)


# --- the pages -----------------------------------------------------------------------------


def staffed(fake: FakeDashboard) -> FakeDashboard:
    fake.roles.rows |= {ORGANISER, REGIONAL, VIEWER}
    fake.roles.scopes[REGIONAL] = ("organiser", frozenset({"varna"}))
    fake.roles.scopes[VIEWER] = ("viewer", frozenset())
    return fake


def client(fake: FakeDashboard, base_url: str = "http://127.0.0.1:8090") -> TestClient:
    return TestClient(dashboard_app(fake), base_url=base_url, follow_redirects=False)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def signed_in(fake: FakeDashboard, user: int) -> TestClient:
    browser = client(fake)
    token = run_sync(fake.services.sign_in.issue_link(user, fake.clock.now()))
    page = browser.get("/login/link", params={"token": token})
    answer = browser.post("/login/link", data={"token": token, "csrf_token": csrf(page.text)})
    assert answer.status_code == 303
    return browser


def test_a_one_time_link_signs_in_once() -> None:
    fake = staffed(fake_dashboard())
    browser = client(fake)
    token = run_sync(fake.services.sign_in.issue_link(ORGANISER, NOW))
    page = browser.get("/login/link", params={"token": token})
    form = {"token": token, "csrf_token": csrf(page.text)}
    assert browser.post("/login/link", data=form).status_code == 303
    assert browser.get("/audit").status_code == 200
    again = client(fake)
    page = again.get("/login/link", params={"token": token})
    refused = again.post("/login/link", data={"token": token, "csrf_token": csrf(page.text)})
    assert refused.status_code == 403 and 'id="refused"' in refused.text
    assert again.get("/audit").status_code == 303  # not signed in: to the sign-in page
    assert fake.audit.actions_of(ORGANISER) == ["dashboard_sign_in"]
    assert fake.audit.actions_of(None) == ["dashboard_link"]


def test_an_expired_link_and_a_link_for_no_organiser_do_not_sign_in() -> None:
    fake = staffed(fake_dashboard())
    token = run_sync(fake.services.sign_in.issue_link(ORGANISER, NOW))
    fake.clock.advance(minutes=fake.settings.dashboard_link_minutes + 1)
    browser = client(fake)
    page = browser.get("/login/link", params={"token": token})
    answer = browser.post("/login/link", data={"token": token, "csrf_token": csrf(page.text)})
    assert answer.status_code == 403
    with pytest.raises(NotAllowed):
        run_sync(fake.services.sign_in.issue_link(STRANGER, NOW))


def test_a_removed_organiser_is_signed_out_at_once() -> None:
    fake = staffed(fake_dashboard())
    browser = signed_in(fake, ORGANISER)
    assert browser.get("/audit").status_code == 200
    fake.roles.rows.discard(ORGANISER)
    assert browser.get("/audit").status_code == 303


def webapp_post(fake: FakeDashboard, init_data: str) -> tuple[TestClient, int]:
    browser = client(fake)
    page = browser.get("/webapp")
    answer = browser.post("/webapp", data={"init_data": init_data, "csrf_token": csrf(page.text)})
    return browser, answer.status_code


def test_mini_app_sign_in_valid_expired_forged_and_stranger() -> None:
    fake = staffed(fake_dashboard())
    browser, status = webapp_post(fake, signed_init_data(ORGANISER, NOW, language="bg"))
    assert status == 303
    page = browser.get("/audit")
    assert page.status_code == 200 and 'lang="bg"' in page.text  # Telegram's language
    for data in (
        signed_init_data(ORGANISER, NOW - 2 * HOUR),
        signed_init_data(ORGANISER, NOW, token="987654321:another-bot-token-0000000"),
        signed_init_data(STRANGER, NOW),
    ):
        browser, status = webapp_post(fake, data)
        assert status == 403
        assert browser.get("/audit").status_code == 303
    assert fake.audit.actions_of(ORGANISER) == ["dashboard_sign_in"]


def test_the_login_widget_signs_in_and_keeps_to_this_site() -> None:
    fake = staffed(fake_dashboard())
    browser = client(fake)
    fields = signed_widget_fields(ORGANISER, NOW)
    answer = browser.get("/login/telegram", params={**fields, "next": "//evil.example/x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert browser.get("/audit").status_code == 200
    forged = client(fake).get("/login/telegram", params={**fields, "id": str(ADMIN)})
    assert forged.headers["location"].startswith("/login?refused")


def test_a_form_without_its_csrf_token_changes_nothing() -> None:
    fake = staffed(fake_dashboard())
    browser = signed_in(fake, ADMIN)
    form = {"user_id": "4242", "role": "viewer"}
    assert browser.post("/organisers", data=form).status_code == 403
    assert browser.post("/organisers", data={**form, "csrf_token": "x" * 43}).status_code == 403
    assert 4242 not in fake.roles.rows
    page = browser.get("/organisers")
    assert (
        browser.post("/organisers", data={**form, "csrf_token": csrf(page.text)}).status_code == 303
    )
    assert run_sync(fake.roles.staff_member(4242)) is not None


def test_admin_adds_changes_and_removes_an_organiser_and_each_is_audited() -> None:
    fake = staffed(fake_dashboard())
    browser = signed_in(fake, ADMIN)
    token = csrf(browser.get("/organisers").text)
    browser.post(
        "/organisers",
        data={
            "user_id": "5005",
            "role": "organiser",
            "regions": ["ruse", "varna"],
            "csrf_token": token,
        },
    )
    browser.post("/organisers", data={"user_id": "5005", "role": "viewer", "csrf_token": token})
    browser.post("/organisers/5005/remove", data={"csrf_token": token})
    assert fake.audit.actions_of(ADMIN)[1:] == [
        "organiser_add",
        "organiser_change",
        "organiser_remove",
    ]
    added = next(r for r in fake.audit.records if r.action == "organiser_add")
    assert added.details["regions"] == ["ruse", "varna"] and added.details["via"] == "dashboard"
    unknown = browser.post(
        "/organisers",
        data={"user_id": "5006", "role": "organiser", "regions": ["atlantis"], "csrf_token": token},
    )
    assert unknown.status_code == 400 and 5006 not in fake.roles.rows


@pytest.mark.parametrize("user", [ORGANISER, REGIONAL, VIEWER])
def test_only_admins_manage_organisers(user: int) -> None:
    fake = staffed(fake_dashboard())
    browser = signed_in(fake, user)
    assert browser.get("/organisers").status_code == 403
    token = csrf(browser.get("/login").text)
    form = {"user_id": "6006", "role": "admin", "csrf_token": token}
    assert browser.post("/organisers", data=form).status_code == 403
    assert (
        browser.post(f"/organisers/{ORGANISER}/remove", data={"csrf_token": token}).status_code
        == 403
    )
    assert 6006 not in fake.roles.rows and ORGANISER in fake.roles.rows


def test_the_services_refuse_what_the_role_does_not_cover() -> None:
    fake = staffed(fake_dashboard())
    viewer = Staff(VIEWER, "viewer")
    with pytest.raises(NotAllowed):
        run_sync(
            fake.services.organisers.set(
                7007, "admin", frozenset(), Origin(VIEWER, staff=viewer), NOW
            )
        )
    assert 7007 not in fake.roles.rows


def test_audit_page_filters_and_pages() -> None:
    fake = staffed(fake_dashboard())
    for day in reversed(range(60)):  # written as they happened, oldest first
        at = NOW - dt.timedelta(days=day)
        run_sync(fake.audit.record(ORGANISER if day % 2 else None, "event_created", {"n": day}, at))
    browser = signed_in(fake, ADMIN)
    page = browser.get("/audit", params={"actor": str(ORGANISER), "action": "event_created"})
    assert "Entries: 30" in page.text and page.text.count("<tr>") == 31
    period = browser.get("/audit", params={"since": "2026-10-01", "until": "2026-10-10"})
    assert "Entries: 10" in period.text
    first = browser.get("/audit")
    assert "Page 1 of 2" in first.text and 'rel="next"' in first.text
    second = browser.get("/audit", params={"page": "2"})
    assert "Page 2 of 2" in second.text and "2026-08-14" in second.text  # the oldest
    regional = signed_in(fake, REGIONAL)  # the log is everyone's: not for a regional role
    assert regional.get("/audit").status_code == 403


def test_headers_cookie_and_phone_layout() -> None:
    fake = staffed(fake_dashboard())
    browser = signed_in(fake, ADMIN)
    page = browser.get("/audit")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'self' https://web.telegram.org" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert "<script>" not in page.text and " on" + "click=" not in page.text
    assert 'name="viewport"' in page.text
    cookie = client(fake).get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    public = fake_dashboard(dashboard_settings(DASHBOARD_URL="https://ecsm.example.org"))
    cookie = client(public, "https://ecsm.example.org").get("/login").headers["set-cookie"].lower()
    assert "secure" in cookie and "samesite=none" in cookie


def test_sign_in_attempts_are_rate_limited() -> None:
    fake = staffed(fake_dashboard(dashboard_settings(DASHBOARD_SIGN_IN_ATTEMPTS="3")))
    browser = client(fake)
    token = csrf(browser.get("/webapp").text)
    answers = [
        browser.post("/webapp", data={"init_data": "hash=0", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert answers == [403, 403, 403, 429]
    fake.clock.advance(minutes=6)
    assert browser.post("/webapp", data={"init_data": "x", "csrf_token": token}).status_code == 403


def test_every_page_speaks_both_languages() -> None:
    fake = staffed(fake_dashboard())
    browser = signed_in(fake, ADMIN)
    token = csrf(browser.get("/audit").text)
    browser.post("/language", data={"lang": "bg", "next": "/organisers", "csrf_token": token})
    page = browser.get("/organisers")
    assert 'lang="bg"' in page.text and "Организатори" in page.text and "Sign out" not in page.text
