"""The dashboard's pages in tests: a TestClient signed in as someone (through the one-time
link, as a person would sign in), and the CSRF token a page's form carries."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.auxil.dashboard import FakeDashboard, dashboard_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def add_staff(
    fake: FakeDashboard, user_id: int, role: str, regions: frozenset[str] = frozenset()
) -> None:
    await fake.roles.set_staff(user_id, role, regions, None, fake.clock.now())


async def sign_in_link(fake: FakeDashboard, user_id: int) -> str:
    return await fake.services.sign_in.issue_link(user_id, fake.clock.now())


def signed_in(client: TestClient, token: str) -> TestClient:
    page = client.get("/login/link", params={"token": token})
    reply = client.post(
        "/login/link",
        data={"token": token, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    return client


def client_for(fake: FakeDashboard) -> TestClient:
    return TestClient(dashboard_app(fake), base_url="http://127.0.0.1")
