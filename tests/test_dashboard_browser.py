"""The dashboard in a real headless Chromium (tests/auxil/browser.py): signing in with a one-time
link and as a Mini App, what is refused (an expired or forged initData, a viewer's change, a
form without its CSRF token), and the screenshots of these pages in docs/dashboard/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.auxil.browser import (
    PHONE,
    chromium,
    require_browser,
    screenshot,
    submit,
    wait_for,
    wait_for_path,
)
from tests.auxil.dashboard import (
    ADMIN,
    FakeDashboard,
    dashboard_app,
    fake_dashboard,
    serving,
    signed_init_data,
)
from tests.auxil.run import run_sync

ORGANISER, REGIONAL, VIEWER = 2001, 2002, 2003
LANGUAGES = ("en", "bg")


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[FakeDashboard, str]]:
    require_browser()
    fake = fake_dashboard(now=dt.datetime.now(dt.UTC))
    fake.roles.rows |= {ORGANISER, REGIONAL, VIEWER}
    fake.roles.scopes[REGIONAL] = ("organiser", frozenset({"varna", "ruse"}))
    fake.roles.scopes[VIEWER] = ("viewer", frozenset())
    with serving(dashboard_app(fake)) as url:
        yield fake, url


def link_for(fake: FakeDashboard, user: int) -> str:
    return run_sync(fake.services.sign_in.issue_link(user, fake.clock.now()))


def choose_language(browser: webdriver.Chrome, lang: str) -> None:
    """Through the page's own control (its script submits the choice)."""
    if browser.find_element(By.TAG_NAME, "html").get_attribute("lang") != lang:
        Select(browser.find_element(By.ID, "lang-choice")).select_by_value(lang)
        wait_for(browser, f'html[lang="{lang}"]')


def sign_in_with_link(
    browser: webdriver.Chrome, site: tuple[FakeDashboard, str], user: int
) -> None:
    fake, url = site
    browser.get(f"{url}/login/link?token={link_for(fake, user)}")
    wait_for(browser, "#sign-in").click()
    wait_for_path(browser, "/")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_with_a_one_time_link_and_the_pages(
    site: tuple[FakeDashboard, str], lang: str
) -> None:
    fake, url = site
    with chromium(PHONE) as browser:
        browser.get(f"{url}/login")
        choose_language(browser, lang)
        screenshot(browser, "login", lang)
        token = link_for(fake, ADMIN)
        browser.get(f"{url}/login/link?token={token}")
        screenshot(browser, "link", lang)
        wait_for(browser, "#sign-in").click()
        wait_for_path(browser, "/")
        browser.get(f"{url}/audit")
        assert str(ADMIN) in wait_for(browser, "#who").text
        assert "dashboard_sign_in" in wait_for(browser, "#audit-table").text
        screenshot(browser, "audit", lang)
        browser.get(f"{url}/organisers")
        wait_for(browser, f"#organiser-{REGIONAL}")
        screenshot(browser, "organisers", lang)
        # The link worked once: in a second browser it is refused.
        with chromium(PHONE) as other:
            other.get(f"{url}/login/link?token={token}")
            wait_for(other, "#sign-in").click()
            assert wait_for(other, "#refused").is_displayed()
            if lang == "en":
                screenshot(other, "link-refused", lang)


def mini_app(url: str, init_data: str) -> str:
    # Telegram opens the Mini App with its signed data in the fragment (never sent to a server).
    return f"{url}/webapp#tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_as_a_mini_app(site: tuple[FakeDashboard, str], lang: str) -> None:
    fake, url = site
    with chromium(PHONE) as browser:
        browser.get(mini_app(url, signed_init_data(ORGANISER, fake.clock.now(), language=lang)))
        wait_for_path(browser, "/")
        browser.get(f"{url}/audit")
        assert wait_for(browser, "html").get_attribute("lang") == lang
        assert str(ORGANISER) in wait_for(browser, "#who").text


@pytest.mark.parametrize("how", ["expired", "forged", "not-an-organiser", "outside-telegram"])
def test_mini_app_sign_in_refused(site: tuple[FakeDashboard, str], how: str) -> None:
    fake, url = site
    now = fake.clock.now()
    data = {
        "expired": signed_init_data(ORGANISER, now - dt.timedelta(hours=3)),
        "forged": signed_init_data(ORGANISER, now, token="987654321:forged-token-00000000000"),
        "not-an-organiser": signed_init_data(424242, now),
        "outside-telegram": "",
    }[how]
    with chromium(PHONE) as browser:
        browser.get(mini_app(url, data) if data else f"{url}/webapp")
        if how == "outside-telegram":
            assert wait_for(browser, "#webapp-outside").is_displayed()
        else:
            assert wait_for(browser, "#refused").is_displayed()
            if how == "forged":
                for lang in LANGUAGES:
                    choose_language(browser, lang)
                    screenshot(browser, "webapp-refused", lang)
        browser.get(f"{url}/audit")
        wait_for_path(browser, "/login")  # not signed in


def test_a_viewer_is_refused_every_change(site: tuple[FakeDashboard, str]) -> None:
    fake, url = site
    with chromium(PHONE) as browser:
        sign_in_with_link(browser, site, VIEWER)
        browser.get(f"{url}/organisers")
        assert wait_for(browser, "#refused").get_attribute("data-reason") == "not_allowed"
        for lang in LANGUAGES:
            choose_language(browser, lang)
            screenshot(browser, "refused", lang)
        assert not browser.find_elements(By.CSS_SELECTOR, 'a[href="/organisers"]')
        # Forms posted anyway, with the session's own CSRF token, are refused too.
        token = browser.find_element(By.NAME, "csrf_token").get_attribute("value")
        for action, fields in (
            ("/organisers", {"user_id": "777", "role": "admin"}),
            (f"/organisers/{ORGANISER}/remove", {}),
        ):
            browser.execute_script(
                "var f = document.createElement('form'); f.method = 'post';"
                " f.action = arguments[0]; f.id = 'forged';"
                " var add = function (k, v) { var i = document.createElement('input');"
                " i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); };"
                " Object.entries(arguments[1]).forEach(function (e) { add(e[0], e[1]); });"
                " add('csrf_token', arguments[2]); document.body.appendChild(f);",
                action,
                fields,
                token,
            )
            submit(browser, "#forged")
            assert wait_for(browser, "#refused").get_attribute("data-reason") == "not_allowed"
    assert 777 not in fake.roles.rows and ORGANISER in fake.roles.rows


def test_a_form_without_its_csrf_token_is_refused(site: tuple[FakeDashboard, str]) -> None:
    fake, url = site
    with chromium(PHONE) as browser:
        sign_in_with_link(browser, site, ADMIN)
        browser.get(f"{url}/organisers")
        form = wait_for(browser, "#add-organiser")
        form.find_element(By.NAME, "user_id").send_keys("8008")
        browser.execute_script(
            "document.querySelector('#add-organiser input[name=csrf_token]').remove();"
        )
        submit(browser, "#add-organiser")
        assert wait_for(browser, "#refused").get_attribute("data-reason") == "csrf"
        assert 8008 not in fake.roles.rows
        # With its token the same form goes through.
        browser.get(f"{url}/organisers")
        wait_for(browser, "#add-organiser").find_element(By.NAME, "user_id").send_keys("8008")
        submit(browser, "#add-organiser")
        wait_for(browser, "#organiser-8008")
    assert 8008 in fake.roles.rows


def test_a_regional_organiser_is_refused_what_is_not_its_region(
    site: tuple[FakeDashboard, str],
) -> None:
    _fake, url = site
    with chromium(PHONE) as browser:
        sign_in_with_link(browser, site, REGIONAL)
        browser.get(f"{url}/audit")  # everyone's log belongs to no one region
        assert wait_for(browser, "#refused").get_attribute("data-reason") == "not_allowed"
        who = wait_for(browser, "#who").text
        assert "Ruse" in who and "Varna" in who
