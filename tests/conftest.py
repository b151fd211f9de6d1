from __future__ import annotations

import contextlib
import datetime as dt
import random
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import DialoguePorts
from bot.content.catalog import Catalog, load_catalog
from bot.core.campaign import NoStoredThemes
from bot.core.ports import EventPorts
from bot.dialogue.router import Dialogue
from bot.nlu.client import RasaNLU
from bot.storage.db import make_engine, migrate
from tests.auxil.dialogue import dialogue_on
from tests.auxil.environment import (
    MODEL,
    ON_CI,
    POSTGRES_URL,
    ROOT,
    RasaInfo,
    free_port,
)
from tests.auxil.schema import keep_postgres_schema
from tests.fakes.core import (
    FakeNLU,
    FakeRenderer,
    FixedClock,
    MemoryChecklistRuns,
    MemoryConversations,
    MemoryPersonalData,
    MemorySubscriptions,
    MemoryUnanswered,
    MemoryUsers,
    event_ports,
)
from tests.fakes.unit_of_work import FakeUnitOfWork


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The browsers the session's tests shared are quit (only if a browser test ran: importing
    Selenium for nothing costs seconds)."""
    browser = sys.modules.get("tests.auxil.browser")
    if browser is not None:
        browser.close_all()


def _module_fixtures(item: pytest.Item) -> bool:
    """Whether the test uses a module-scoped fixture (a costly set-up its module shares)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(definitions[-1].scope == "module" for definitions in info.name2fixturedefs.values())


@pytest.hookimpl(tryfirst=True)  # before xdist's worker names the groups in node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist's `--dist loadgroup` (`make test` runs on two workers): every test
    of the real Rasa server runs on one worker, so the session starts one server (two would cost
    a start of ~40 s and a model's memory more); a module whose tests share a module-scoped
    fixture (a browser, trained scorers, the fuzzer's bot) stays on one worker, so that set-up is
    done once. Without `-n` the marks change nothing."""
    for item in items:
        if "rasa" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("rasa"))
        elif _module_fixtures(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(ROOT / "data", "en")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def nlu() -> FakeNLU:
    return FakeNLU()


@pytest.fixture
def users() -> MemoryUsers:
    return MemoryUsers()


@pytest.fixture
def subscriptions() -> MemorySubscriptions:
    return MemorySubscriptions()


@pytest.fixture
def conversations() -> MemoryConversations:
    return MemoryConversations()


@pytest.fixture
def unanswered() -> MemoryUnanswered:
    return MemoryUnanswered()


@pytest.fixture
def checklist_runs() -> MemoryChecklistRuns:
    return MemoryChecklistRuns()


@pytest.fixture
def renderer() -> FakeRenderer:
    return FakeRenderer()


@pytest.fixture
def ports(users: MemoryUsers, checklist_runs: MemoryChecklistRuns) -> EventPorts:
    return event_ports(users, checklist_runs)


@pytest.fixture
def dialogue_ports(
    users: MemoryUsers,
    subscriptions: MemorySubscriptions,
    conversations: MemoryConversations,
    unanswered: MemoryUnanswered,
    checklist_runs: MemoryChecklistRuns,
    renderer: FakeRenderer,
    ports: EventPorts,
) -> DialoguePorts:
    personal_data = MemoryPersonalData(users, subscriptions, conversations, checklist_runs)
    return DialoguePorts(
        users=users,
        subscriptions=subscriptions,
        conversations=conversations,
        unanswered=unanswered,
        checklist_runs=checklist_runs,
        personal_data=personal_data,
        reports=renderer,
        campaign_themes=NoStoredThemes(),
        events=ports,
        units=FakeUnitOfWork.of(ports, personal_data=personal_data, unanswered=unanswered),
    )


@pytest.fixture
def dialogue(
    catalog: Catalog, nlu: FakeNLU, clock: FixedClock, dialogue_ports: DialoguePorts
) -> Dialogue:
    return dialogue_on(catalog, dialogue_ports, nlu, clock, rng=random.Random(7))


@contextlib.contextmanager
def _fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A database created on the PostgreSQL server and dropped afterwards. Under CI a missing
    server fails; locally it skips."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if ON_CI:
            pytest.fail(f"PostgreSQL is required under CI and is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The database the storage tests share, for the whole session (a clean schema each)."""
    with _fresh_postgres_database("ecsm_test") as url:
        yield url


@pytest.fixture
def new_postgres_database() -> Iterator[str]:
    """A database of its own, for tests that run bot processes or cut its connections."""
    with _fresh_postgres_database("ecsm_own") as url:
        yield url


@pytest.fixture
async def migrated_postgres_engine(new_postgres_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database of its own (new_postgres_database), disposed after."""
    migrate(new_postgres_database)
    engine = make_engine(new_postgres_database)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every storage test runs on SQLite and on PostgreSQL (a clean schema each time)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_server")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    yield url
    # A schema the test left as the migrations do is emptied and kept for the next migrated().
    keep_postgres_schema(url)


# --- the real Rasa server, started once per test session --------------------------------


@pytest.fixture(scope="session")
async def rasa(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RasaInfo]:
    from bot.nlu.server import rasa_server

    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it (make model)")
    url = f"http://127.0.0.1:{free_port()}"
    log = tmp_path_factory.mktemp("rasa") / "rasa.log"
    # A token that begins with "-", as one in 64 generated tokens and some operators' do: every
    # test that talks to Rasa then proves the server reads it as the token, not as an option.
    token = "-" + secrets.token_urlsafe(24)
    async with rasa_server(url, token, ROOT / ".venv-rasa", MODEL, 240, log) as served:
        yield RasaInfo(url, served)


@pytest.fixture(scope="session")
async def rasa_trainer(
    rasa: RasaInfo, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RasaInfo]:
    """A second real Rasa server, with the session's token, as docker compose's rasa-trainer:
    it trains candidates over its HTTP API and scores them (issue 18); started once, on demand."""
    from bot.nlu.server import rasa_server

    url = f"http://127.0.0.1:{free_port()}"
    log = tmp_path_factory.mktemp("rasa-trainer") / "rasa.log"
    async with rasa_server(url, rasa.token, ROOT / ".venv-rasa", MODEL, 240, log) as served:
        yield RasaInfo(url, served)


@pytest.fixture
async def rasa_nlu(rasa: RasaInfo) -> AsyncIterator[RasaNLU]:
    async with httpx.AsyncClient(base_url=rasa.url) as client:
        yield RasaNLU(client, rasa.token, timeout=5.0)
