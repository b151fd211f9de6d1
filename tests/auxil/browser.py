"""The browser-test kit: Debian's headless Chromium driven by Selenium through its own
chromedriver (no browser or driver is downloaded), a dashboard served on a free port, and
screenshots into var/screenshots/dashboard/<name>-<lang>.png (docs/dashboard/ with
`make screenshots`). Under CI a missing browser fails the test;
elsewhere it is skipped.

    with chromium() as browser, serving(app) as url:
        browser.get(url + "/login")
        screenshot(browser, "login", "en")

Starting and quitting Chromium takes 3-6 s on a loaded 2-core machine, so the browsers are kept
for the whole session: `chromium()` lends an idle one of the same window size and language (or
starts one) and takes it back as a fresh one would be: every cookie and the cache cleared, one
blank tab, the window at the size it started with (the dashboard keeps nothing in web storage).
A browser whose test failed, or that cannot be put back so, is quit instead. The session's end
quits them all (close_all, from tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.auxil.dashboard import screenshot_path
from tests.auxil.environment import ON_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# A phone's screen: the dashboard is laid out for it first.
PHONE = (412, 915)
DESKTOP = (1280, 900)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def require_browser() -> None:
    """Skip (fail under CI) when Chromium or its driver is not installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        message = f"headless Chromium is needed: {', '.join(missing)} missing (see README)"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class _Browser:
    driver: webdriver.Chrome
    profile: str
    # As it started: the window's size and the page's inner size (Chromium may widen a phone's
    # window to its minimum, so the start's size is what a fresh browser has, not `size`).
    window: dict[str, int]
    inner: list[int]


# Idle browsers by (window size, language).
_IDLE: dict[tuple[tuple[int, int], str], list[_Browser]] = {}
BLANK = "about:blank"


def _start(size: tuple[int, int], language: str) -> _Browser:
    profile = tempfile.mkdtemp(prefix="ecsm-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.add_argument(f"--lang={language}")
    try:
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        if ON_CI:
            pytest.fail(f"headless Chromium did not start: {exc.msg}")
        pytest.skip(f"headless Chromium did not start: {exc.msg}")
    try:
        driver.set_page_load_timeout(60)
        driver.get(BLANK)
        return _Browser(driver, profile, driver.get_window_size(), _inner(driver))
    except BaseException:
        _quit(_Browser(driver, profile, {}, []))
        raise


def _inner(driver: webdriver.Chrome) -> list[int]:
    return [int(n) for n in driver.execute_script("return [innerWidth, innerHeight]")]


def _quit(browser: _Browser) -> None:
    with contextlib.suppress(WebDriverException):
        browser.driver.quit()
    shutil.rmtree(browser.profile, ignore_errors=True)


def _made_fresh(browser: _Browser) -> bool:
    """Put a used browser back as it started; False when it could not be."""
    driver = browser.driver
    try:
        first, *others = driver.window_handles
        for handle in others:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(first)
        driver.get(BLANK)
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.set_window_size(browser.window["width"], browser.window["height"])
        return (
            driver.get_cookies() == []
            and driver.get_window_size() == browser.window
            and _inner(driver) == browser.inner
        )
    except WebDriverException:
        return False


@contextlib.contextmanager
def chromium(size: tuple[int, int] = DESKTOP, language: str = "en") -> Iterator[webdriver.Chrome]:
    """A headless Chromium as fresh as a new one (an idle one of the session's, or a new one)."""
    require_browser()
    idle = _IDLE.setdefault((size, language), [])
    browser = idle.pop() if idle else _start(size, language)
    try:
        yield browser.driver
    except BaseException:
        _quit(browser)
        raise
    if _made_fresh(browser):
        idle.append(browser)
    else:
        _quit(browser)


def close_all() -> None:
    """Quit every idle browser (at the session's end)."""
    for idle in _IDLE.values():
        while idle:
            _quit(idle.pop())


def wait_for(driver: webdriver.Chrome, css: str, timeout: float = 30) -> WebElement:
    """The element, once the page shows it."""
    element: WebElement = WebDriverWait(driver, timeout).until(
        lambda d: d.find_element(By.CSS_SELECTOR, css)
    )
    return element


def wait_for_path(driver: webdriver.Chrome, path: str, timeout: float = 30) -> None:
    WebDriverWait(driver, timeout).until(
        lambda d: d.current_url.split("?", 1)[0].split("#", 1)[0].endswith(path)
    )


def screenshot(driver: webdriver.Chrome, name: str, lang: str) -> Path:
    """The whole page as <name>-<lang>.png (tests/auxil/dashboard.py says where)."""
    path = screenshot_path(name, lang)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(int(height) + 120, 400))
    driver.save_screenshot(str(path))
    return path


def submit(driver: webdriver.Chrome, form_css: str) -> None:
    """Submit a form as its button would (confirmations accepted)."""
    driver.execute_script(
        "var f = document.querySelector(arguments[0]); f.removeAttribute('data-confirm');"
        " f.requestSubmit();",
        form_css,
    )
