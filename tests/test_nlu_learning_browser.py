"""The NLU learns from its users, end to end on real Rasa in headless Chromium (issue 18).

The set-up is docker compose's: the dashboard's lab trains and scores through a second Rasa
server's HTTP API (RASA_TRAINER_URL, the session's trainer), while the session's Rasa server
answers the chat. A small training set keeps it fast: a baseline model that knows phishing,
greetings and off-topic questions is trained that way and loaded into the session's server.
Messages about parcel SMS scams, which it misses, are sent through the chat (python-telegram-bot
against the fake Bot API, one bot running for the whole test), where they reach the review
queue (not understood, or "that didn't help" tapped). An organiser labels them `smishing` on
/review, retrains on /models (the page polls the progress), sees the scores beside the running
model and promotes; the same messages sent again are then answered as parcel SMS scams by the
same running bot, and a restart would serve the promoted model. A bad labelling (phishing
questions labelled as greetings) makes English worse: its promotion is refused and the bot
keeps the good model. The session's model is loaded back at the end. Screenshots:
docs/dashboard/review-en.png and models-en.png."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from bot.bootstrap import dashboard_services, model_service
from bot.core.ports import SystemClock
from bot.nlu.client import RasaNLU
from bot.nlu.lab import active_model
from bot.storage.access import database_for
from bot.storage.db import make_engine, make_sessions, migrate
from bot.storage.organisers import SqlRoles
from bot.web.app import create_dashboard
from tests.auxil.browser import DESKTOP, chromium, require_browser, screenshot, wait_for
from tests.auxil.dashboard import ADMIN, catalog, dashboard_settings, serving
from tests.auxil.environment import MODEL, ROOT, RasaInfo
from tests.auxil.telegram_bot import Bot, running_bot
from tests.fakes.bot_api import FakeBotAPI

ORGANISER = 4001
# Training a model and starting a server to score it take a minute or two on a loaded machine.
TRAINING = 420

TINY_DATA = """version: "3.1"
nlu:
- intent: phishing
  examples: |
    - what is phishing
    - i got a fake email from my bank
    - an email asks for my password
    - is this email a scam
    - какво е фишинг
    - получих фалшив имейл от банката
    - имейл иска паролата ми
    - този имейл измама ли е
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - здравей
    - добро утро
    - здрасти
- intent: out_of_scope
  examples: |
    - what is the weather tomorrow
    - who won the match
    - recommend a film
    - какво ще е времето утре
    - кой спечели мача
    - препоръчай ми филм
"""
TESTS = {
    "en": """version: "3.1"
nlu:
- intent: phishing
  examples: |
    - what does phishing mean
    - a fake email from the bank asks for my password
    - is this email from my bank a scam
- intent: greet
  examples: |
    - hello there
    - good morning to you
- intent: out_of_scope
  examples: |
    - will it rain tomorrow
    - recommend me a good film
""",
    "bg": """version: "3.1"
nlu:
- intent: phishing
  examples: |
    - какво означава фишинг
    - фалшив имейл от банката иска паролата ми
- intent: greet
  examples: |
    - здравейте
    - добро утро на вас
- intent: out_of_scope
  examples: |
    - ще вали ли утре
    - препоръчай ми хубав филм
""",
}
# Parcel SMS scams, which the baseline does not know.
SMISHING = {
    "en": [
        "i got a text saying my parcel is waiting and i must pay a fee",
        "sms says my package is held at customs pay the fee now",
        "a text message about a delivery fee for my parcel",
        "got an sms from the courier asking to pay for my parcel",
        "text on my phone says parcel delivery failed pay a fee",
        "sms about an unpaid customs fee for a package",
    ],
    "bg": [
        "получих SMS, че пратката ми чака и трябва да платя такса",
        "SMS от куриер иска да платя за пратката",
        "получих SMS за неплатено мито за колет и искат да платя",
        "съобщение, че доставката на пратката не е успяла и да платя такса",
        "дойде ми есемес, че трябва да платя такса за доставка на колет",
        "SMS, че колетът ми е задържан и трябва да платя",
    ],
}
# Phishing questions an organiser will wrongly label as greetings.
MISLABELLED = [
    "what does phishing mean exactly",
    "what does phishing mean in an email",
    "a fake email from my bank asks for my password",
    "a fake email from the bank asks me for my password",
    "is this email from my bank a scam or not",
    "is this email from the bank a scam",
    "an email from my bank asks me to confirm my password",
    "is this email asking for my password a scam",
    "fake email from the bank wants my password",
    "what is a phishing email",
    "email says my bank account is locked and asks for my password",
    "strange email asking for my bank password",
]


def tiny_project(root: Path) -> Path:
    nlu_dir = root / "nlu"
    (nlu_dir / "data").mkdir(parents=True)
    (nlu_dir / "tests").mkdir()
    shutil.copy(ROOT / "nlu" / "config.yml", nlu_dir / "config.yml")
    (nlu_dir / "data" / "tiny.yml").write_text(TINY_DATA, encoding="utf-8")
    for lang, text in TESTS.items():
        (nlu_dir / "tests" / f"test_nlu_{lang}.yml").write_text(text, encoding="utf-8")
    return nlu_dir


async def chat(bot: Bot, messages: Mapping[str, Sequence[str]], tap: bool) -> dict[str, bool]:
    """Each message sent through the chat by a user of its language; with `tap`, "that didn't
    help" pressed under every answer. Whether each was answered as a parcel SMS scam."""
    understood: dict[str, bool] = {}
    for user, (lang, texts) in enumerate(messages.items(), start=7000):
        answer = bot.catalog.answer(lang, "smishing")
        assert answer is not None
        for text in texts:
            before = len(bot.api.sent)
            replies = await bot.say(text, user=user, language=lang)
            understood[text] = bool(replies) and answer.title in replies[0]
            buttons = [b for sent in bot.api.sent[before:] for b in sent.buttons]
            flag = next(
                (b["callback_data"] for b in buttons if b.get("callback_data", "")[:3] == "nh:"),
                None,
            )
            if tap and flag is not None:
                await bot.press(flag, user=user)
    return understood


def label_everything(browser: webdriver.Chrome, url: str, topic: str) -> int:
    """Assign `topic` to every group of the queue, as an organiser would; how many groups."""
    groups = 0
    while True:
        browser.get(f"{url}/review")
        forms = browser.find_elements(By.CSS_SELECTOR, "form.decide[id^='group-']")
        if not forms:
            return groups
        form = forms[0]
        Select(form.find_element(By.NAME, "topic")).select_by_value(topic)
        form.find_element(By.CSS_SELECTOR, "button[value='assigned']").click()
        wait_for(browser, "#done")
        groups += 1


def retrain(browser: webdriver.Chrome, url: str) -> str:
    """Retrain on /models and wait until the page (polling the progress) shows the version
    trained; its id."""
    browser.get(f"{url}/models")
    wait_for(browser, "#retrain button").click()
    section = wait_for(browser, "#training[data-poll]")
    version = (section.get_attribute("data-poll") or "").split("/")[2]
    wait_for(browser, f'#version-{version}[data-status="trained"]', timeout=TRAINING)
    return version


async def test_label_retrain_promote_and_a_bad_labelling_refused(
    rasa: RasaInfo, rasa_trainer: RasaInfo, tmp_path: Path
) -> None:
    require_browser()
    database = f"sqlite:///{tmp_path / 'bot.sqlite3'}"  # the running bot's too (running_bot)
    migrate(database)
    settings = dashboard_settings(
        DATABASE_URL=database,
        NLU_DIR=str(tiny_project(tmp_path)),
        NLU_WORK_DIR=str(tmp_path / "work"),
        RASA_TRAINER_URL=rasa_trainer.url,
        RASA_TOKEN=rasa_trainer.token,
    )
    cat, clock = catalog(), SystemClock()
    engine = make_engine(database)  # the dashboard's, used in its server's thread
    mine = make_engine(database)  # this test's
    running = httpx.AsyncClient(base_url=rasa.url)
    ours = httpx.AsyncClient(base_url=rasa.url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            # The baseline, trained by the lab the dashboard uses, becomes the running model.
            baseline = model_service(
                settings, cat, database_for(mine), clock, RasaNLU(ours, rasa.token, 30)
            )
            trained = await baseline.lab.train([], lambda line: None)
            await RasaNLU(ours, rasa.token, 30).load_model(trained.path)
            # One bot answers the chat for the whole test, on the session's Rasa server.
            bot = await stack.enter_async_context(
                running_bot(tmp_path, RasaNLU(ours, rasa.token, 10), FakeBotAPI())
            )

            before = await chat(bot, SMISHING, tap=True)
            assert not any(before.values()), before
            await SqlRoles(make_sessions(mine)).set_staff(
                ORGANISER, "organiser", frozenset(), ADMIN, dt.datetime.now(dt.UTC)
            )
            links = dashboard_services(settings, cat, make_sessions(mine), clock).sign_in
            app = create_dashboard(
                dashboard_services(
                    settings, cat, make_sessions(engine), clock, RasaNLU(running, rasa.token, 10)
                ),
                settings,
            )
            url = stack.enter_context(serving(app))
            browser = stack.enter_context(chromium(DESKTOP))
            token = await links.issue_link(ORGANISER, dt.datetime.now(dt.UTC))
            browser.get(f"{url}/login/link?token={token}")
            wait_for(browser, "#sign-in").click()
            wait_for(browser, "#who")

            # Every missed message is in the queue, grouped per language.
            browser.get(f"{url}/review")
            rows = browser.find_elements(By.CSS_SELECTOR, "tr.review-group")
            assert {r.get_attribute("data-language") for r in rows} == {"en", "bg"}
            screenshot(browser, "review", "en")
            queued = sum(len((r.get_attribute("data-ids") or "").split(",")) for r in rows)
            assert queued == sum(len(texts) for texts in SMISHING.values()), queued
            assert label_everything(browser, url, "smishing") == len(rows)

            good = retrain(browser, url)
            version = browser.find_element(By.ID, f"version-{good}")
            verdict = version.find_element(By.CSS_SELECTOR, ".verdict")
            assert verdict.get_attribute("data-acceptable") == "true"
            assert version.find_elements(By.CSS_SELECTOR, 'tr[data-language="bg"]')
            browser.execute_script("window.confirm = function () { return true; };")
            version.find_element(By.CSS_SELECTOR, "form.promote button").click()
            wait_for(browser, '#done[data-done="promoted"]')
            screenshot(browser, "models", "en")
            promoted = await asyncio.to_thread(active_model, tmp_path / "work", MODEL)
            assert promoted != MODEL  # a restart serves it too

            # The same messages, sent again to the same running bot, are now understood.
            after = await chat(bot, SMISHING, tap=False)
            assert all(after.values()), after

            # A bad labelling: phishing questions labelled as greetings.
            await chat(bot, {"en": MISLABELLED}, tap=True)
            assert label_everything(browser, url, "greet") >= 1
            bad = retrain(browser, url)
            version = browser.find_element(By.ID, f"version-{bad}")
            verdict = version.find_element(By.CSS_SELECTOR, ".verdict")
            assert verdict.get_attribute("data-acceptable") == "false"
            assert not version.find_elements(By.CSS_SELECTOR, "form.promote button")
            # Asked for anyway (the form an admin would see, without a reason): refused.
            browser.execute_script(
                "var f = document.createElement('form'); f.method = 'post';"
                " f.action = '/models/' + arguments[0] + '/promote';"
                " var c = document.querySelector('input[name=csrf_token]').cloneNode();"
                " f.appendChild(c); document.body.appendChild(f); f.submit();",
                bad,
            )
            wait_for(browser, '#problem[data-problem="worse"]')
            still = await chat(bot, {"en": SMISHING["en"][:2]}, tap=False)
            assert all(still.values()), still
    finally:
        async with httpx.AsyncClient(base_url=rasa.url) as client:
            await RasaNLU(client, rasa.token, 30).load_model(str(MODEL))  # the session's again
        # `running` served the dashboard's loop, which has ended with its thread.
        with contextlib.suppress(RuntimeError):
            await running.aclose()
        await ours.aclose()
        await engine.dispose()
        await mine.dispose()
