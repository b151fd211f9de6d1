"""The events, announcements and scam-alert pages in a real headless Chromium (issue 17), on the
dashboard bootstrap builds over SQLite: an organiser creates an event, then an announcement
whose messages the delivery engine hands to the fake Bot API while the page polls its
progress; a regional organiser is refused another region's event; screenshots of every page
in both languages (docs/dashboard/), the overview and the unanswered questions included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.bootstrap import dashboard_services
from bot.channels.telegram_sender import TelegramSender
from bot.content.catalog import Catalog
from bot.core.ports import SystemClock
from bot.delivery.engine import DeliveryEngine
from bot.delivery.ratelimit import RateLimiter
from bot.settings import Settings
from bot.storage.broadcasts import BroadcastPlanner
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.organisers import SqlRoles
from bot.storage.outbox import SqlOutbox
from bot.storage.rollups import SqlRollups
from bot.storage.unanswered import SqlUnanswered
from bot.storage.users import SqlUsers
from bot.web.app import create_dashboard
from tests.auxil.browser import (
    DESKTOP,
    chromium,
    require_browser,
    screenshot,
    wait_for,
    wait_for_path,
)
from tests.auxil.dashboard import ADMIN, catalog, dashboard_settings, serving
from tests.auxil.run import run_sync
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI

REGIONAL = 3002
LANGUAGES = ("en", "bg")
# People who will get the announcement: everyone who ever wrote to the bot.
PEOPLE = {5001: ("en", "plovdiv"), 5002: ("bg", "plovdiv"), 5003: ("bg", "varna")}
T = TypeVar("T")


@dataclass
class Site:
    url: str
    database: str
    settings: Settings
    catalog: Catalog


def on_database(site: Site, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """`work` on an engine of its own (the dashboard's serves in another thread's loop)."""

    async def run() -> T:
        engine = make_engine(site.database)
        try:
            return await work(make_sessions(engine))
        finally:
            await engine.dispose()

    return run_sync(run())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    path: Path = tmp_path_factory.mktemp("dashboard") / "bot.sqlite3"
    database = f"sqlite:///{path}"
    migrate(database)
    settings = dashboard_settings(DATABASE_URL=database)
    cat = catalog()
    engine = make_engine(database)
    app = create_dashboard(
        dashboard_services(settings, cat, make_sessions(engine), SystemClock()), settings
    )
    with serving(app) as url:
        built = Site(url, database, settings, cat)
        on_database(built, seed)
        yield built
    run_sync(engine.dispose())


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = dt.datetime.now(dt.UTC)
    users = SqlUsers(sessions)
    for user, (language, region) in PEOPLE.items():
        await users.touch(user, language, now)
        await users.set_region(user, region)
    await SqlRoles(sessions).set_staff(REGIONAL, "organiser", frozenset({"varna"}), ADMIN, now)
    unanswered = SqlUnanswered(sessions, dt.timedelta(days=30))
    for text, language in (
        ("can I get my money back after paying a fake shop?", "en"),
        ("can i get money back from a fake shop", "en"),
        ("кой плаща, ако ми източат картата?", "bg"),
    ):
        await unanswered.record(text, language, "report_fraud", 0.31, now)
    await SqlRollups(sessions).refresh(now)


def sign_in(browser: webdriver.Chrome, site: Site, user: int) -> None:
    async def link(sessions: async_sessionmaker[AsyncSession]) -> str:
        services = dashboard_services(site.settings, site.catalog, sessions, SystemClock())
        return await services.sign_in.issue_link(user, dt.datetime.now(dt.UTC))

    browser.get(f"{site.url}/login/link?token={on_database(site, link)}")
    wait_for(browser, "#sign-in").click()
    wait_for_path(browser, "/")


def choose_language(browser: webdriver.Chrome, lang: str) -> None:
    if browser.find_element(By.TAG_NAME, "html").get_attribute("lang") != lang:
        Select(browser.find_element(By.ID, "lang-choice")).select_by_value(lang)
        wait_for(browser, f'html[lang="{lang}"]')


def fill(browser: webdriver.Chrome, fields: dict[str, str]) -> None:
    """Form fields by name, set as typing would (dates too, whatever the browser's locale)."""
    for name, value in fields.items():
        element = browser.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            browser.execute_script(
                "arguments[0].value = arguments[1];"
                " arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                element,
                value,
            )


def local(days: int, hour: int) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def deliver(site: Site, api: FakeBotAPI) -> None:
    """What the bot's tick does: the due announcement into the outbox, then sent."""

    async def run(sessions: async_sessionmaker[AsyncSession]) -> None:
        clock = SystemClock()
        await BroadcastPlanner(sessions).fan_out(clock.now())
        bot = Bot(
            FAKE_TOKEN,
            base_url="http://bot-api.test/bot",
            request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
        )
        engine = DeliveryEngine(
            SqlOutbox(sessions),
            TelegramSender(bot),
            RateLimiter(1000, per_chat_interval=0.0),
            clock,
        )
        await engine.run_once()

    on_database(site, run)


def test_an_organiser_creates_an_event_and_an_announcement_that_reaches_telegram(
    site: Site,
) -> None:
    api = FakeBotAPI()
    with chromium(DESKTOP) as browser:
        sign_in(browser, site, ADMIN)
        browser.get(f"{site.url}/events/new")
        event = {
            "title_en": "Spot the fake invoice",
            "description_en": "A workshop for small shops on invoice fraud.",
            "title_bg": "Разпознайте фалшивата фактура",
            "description_bg": "Работилница за малки магазини за измамите с фактури.",
            "start": local(7, 18),
            "end": local(7, 20),
            "region": "plovdiv",
            "organiser": "CERT Bulgaria",
            "place": "Plovdiv, Trade Fair",
        }
        for lang in LANGUAGES:  # choosing a language reloads the page: the form is filled again
            choose_language(browser, lang)
            fill(browser, event)
            screenshot(browser, "event-form", lang)
        wait_for(browser, "#save-event").click()
        assert wait_for(browser, "#done").get_attribute("data-done") == "saved"
        assert "Разпознайте фалшивата фактура" in wait_for(browser, "#events-table tbody tr").text
        for lang in LANGUAGES:
            choose_language(browser, lang)
            screenshot(browser, "events", lang)

        announcement = {
            "text": "<b>Fake invoices</b> are going round: check the IBAN by phone.",
            "button_label": "Read more",
            "button_url": "https://cert.bg",
        }
        for lang in LANGUAGES:
            browser.get(f"{site.url}/announcements")
            choose_language(browser, lang)
            fill(browser, announcement)
            WebDriverWait(browser, 30).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, "#preview .tg-button")
            )
            bold = browser.find_element(By.CSS_SELECTOR, "#preview-text b")
            assert bold.text == "Fake invoices"
            size = wait_for(browser, "#audience-size").get_attribute("data-size")
            assert size == str(len(PEOPLE))
            screenshot(browser, "announcements", lang)
            wait_for(browser, "#review").click()
            assert str(len(PEOPLE)) in wait_for(browser, "#confirm-summary").text
            screenshot(browser, "announcement-confirm", lang)
        wait_for(browser, "#send").click()
        wait_for(browser, "#progress")
        assert "/announcements/" in browser.current_url

        deliver(site, api)
        # The page polls its counts: all of them sent, nothing waiting.
        WebDriverWait(browser, 60).until(
            lambda d: d.find_element(By.ID, "count-sent").text == str(len(PEOPLE))
        )
        assert browser.find_element(By.ID, "count-waiting").text == "0"
        for lang in LANGUAGES:
            choose_language(browser, lang)
            screenshot(browser, "announcement", lang)
    for user in PEOPLE:
        [message] = api.messages_to(user)
        assert message.text == "<b>Fake invoices</b> are going round: check the IBAN by phone."


def test_scam_alerts_overview_and_unanswered_pages(site: Site) -> None:
    with chromium(DESKTOP) as browser:
        sign_in(browser, site, ADMIN)
        browser.get(f"{site.url}/alerts/new")
        alert = {
            "title_en": "Fake customs fee for a parcel",
            "looks_like_en": "An SMS says a parcel is held until a small customs fee is paid.",
            "advice_en": "Do not pay or open the link: couriers do not ask for fees by SMS.",
            "examples_en": "Your parcel is held at customs. Pay 1.99 EUR: parcel-fee.example",
            "title_bg": "Фалшива митническа такса за пратка",
            "looks_like_bg": "SMS, че пратка е задържана, докато не платите малка такса.",
            "advice_bg": "Не плащайте и не отваряйте връзката: куриерите не искат такси по SMS.",
            "examples_bg": "Пратката ви е задържана. Платете 1,99 евро: parcel-fee.example",
            "source_url": "https://cert.bg",
        }
        for lang in LANGUAGES:
            choose_language(browser, lang)
            fill(browser, alert)
            screenshot(browser, "alert-form", lang)
        wait_for(browser, "#publish-alert").click()
        assert wait_for(browser, "#done").get_attribute("data-done") == "published"
        browser.get(f"{site.url}/alerts")
        for lang in LANGUAGES:
            choose_language(browser, lang)
            screenshot(browser, "alerts", lang)
        for page, name in (("/", "overview"), ("/unanswered", "unanswered")):
            browser.get(site.url + page)
            wait_for(browser, "main h1")
            for lang in LANGUAGES:
                choose_language(browser, lang)
                screenshot(browser, name, lang)
        assert "fake shop" in browser.page_source


def test_a_regional_organiser_is_refused_another_regions_event(site: Site) -> None:
    with chromium(DESKTOP) as browser:
        sign_in(browser, site, ADMIN)
        browser.get(f"{site.url}/events")
        edit = wait_for(browser, "#events-table a.edit").get_attribute("href")
        assert edit is not None
    with chromium(DESKTOP) as browser:
        sign_in(browser, site, REGIONAL)
        browser.get(f"{site.url}/events")
        assert not browser.find_elements(By.CSS_SELECTOR, "#events-table a.edit")
        browser.get(edit)
        assert wait_for(browser, "#refused").get_attribute("data-reason") == "not_allowed"
        # Its own region's event form offers its regions only.
        browser.get(f"{site.url}/events/new")
        options = browser.find_elements(By.CSS_SELECTOR, "select[name=region] option")
        assert [o.get_attribute("value") for o in options] == ["varna"]
