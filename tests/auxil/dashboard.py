"""The dashboard for tests: built on memory fakes (or given services), signed Telegram data as
Telegram would send it, and the dashboard served by uvicorn on a free port in a thread of its
own (for the browser tests)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette

from bot.content.catalog import Catalog, load_catalog
from bot.content.web import load_web_texts
from bot.core.domain_events import OrganiserAdded, OrganiserChanged, OrganiserRemoved
from bot.services.handlers import write_audit
from bot.services.messagebus import MessageBus
from bot.services.organisers import OrganiserService
from bot.services.sign_in import SignInService
from bot.settings import Settings
from bot.web.app import DashboardServices, create_dashboard
from bot.web.telegram_proofs import data_check_string, login_widget_key, mini_app_key
from tests.auxil.environment import ROOT, free_port
from tests.fakes.core import FixedClock, MemoryRoles
from tests.fakes.unit_of_work import FakeUnitOfWork
from tests.fakes.web import MemoryAuditLog, MemorySignInLinks

BOT_TOKEN = "123456789:TEST-token-for-the-dashboard-000000"
ADMIN = 1001
NOW = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)


@dataclass
class FakeDashboard:
    services: DashboardServices
    roles: MemoryRoles
    audit: MemoryAuditLog
    links: MemorySignInLinks
    clock: FixedClock
    settings: Settings


_CATALOG: list[Catalog] = []


def catalog() -> Catalog:
    if not _CATALOG:  # loading data/ takes a while: once per test session
        _CATALOG.append(load_catalog(ROOT / "data", "en"))
    return _CATALOG[0]


def dashboard_settings(**values: object) -> Settings:
    return Settings.model_validate(
        {
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "ORGANISER_IDS": str(ADMIN),
            "DATA_DIR": str(ROOT / "data"),
            **values,
        }
    )


def fake_dashboard(settings: Settings | None = None, now: dt.datetime = NOW) -> FakeDashboard:
    settings = settings or dashboard_settings()
    roles, audit, links = MemoryRoles(), MemoryAuditLog(), MemorySignInLinks()
    clock = FixedClock(now)
    units = FakeUnitOfWork(roles=roles, audit=audit)
    bus = MessageBus(
        dict.fromkeys((OrganiserAdded, OrganiserChanged, OrganiserRemoved), (write_audit,))
    )
    organisers = OrganiserService(units, bus, frozenset(settings.organiser_ids))
    cat = catalog()
    services = DashboardServices(
        catalog=cat,
        texts=load_web_texts(settings.data_dir, cat.languages, cat.default_language),
        clock=clock,
        organisers=organisers,
        sign_in=SignInService(
            organisers, links, audit, dt.timedelta(minutes=settings.dashboard_link_minutes)
        ),
        audit_log=audit,
    )
    return FakeDashboard(services, roles, audit, links, clock, settings)


def signed_init_data(
    user_id: int, auth_date: dt.datetime, token: str = BOT_TOKEN, language: str = "en"
) -> str:
    """A Mini App's initData as Telegram signs it (query_id, user as JSON, auth_date, hash)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": user_id, "first_name": "Test", "language_code": language},
            separators=(",", ":"),
        ),
        "auth_date": str(int(auth_date.timestamp())),
    }
    key = mini_app_key(token)
    fields["hash"] = hmac.new(key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def signed_widget_fields(
    user_id: int, auth_date: dt.datetime, token: str = BOT_TOKEN
) -> dict[str, str]:
    fields = {
        "id": str(user_id),
        "first_name": "Test",
        "auth_date": str(int(auth_date.timestamp())),
    }
    key = login_widget_key(token)
    fields["hash"] = hmac.new(key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    return fields


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """`app` on a free loopback port (its own thread and event loop); yields its address."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def dashboard_app(fake: FakeDashboard) -> Starlette:
    return create_dashboard(fake.services, fake.settings)


# The browser tests' screenshots go to var/ (untracked), so that a test run leaves the checkout
# as it found it; `make screenshots` (ECSM_SCREENSHOTS_TO_DOCS=1) renews the documented ones.
DOCUMENTED_SCREENSHOTS = ROOT / "docs" / "dashboard"
TEST_SCREENSHOTS = ROOT / "var" / "screenshots" / "dashboard"


def screenshots_dir() -> Path:
    to_docs = os.environ.get("ECSM_SCREENSHOTS_TO_DOCS") == "1"
    return DOCUMENTED_SCREENSHOTS if to_docs else TEST_SCREENSHOTS


def screenshot_path(name: str, lang: str) -> Path:
    folder = screenshots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{lang}.png"
