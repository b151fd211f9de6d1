"""A published scam alert end to end below the organiser: people turn alerts on in the chat,
the tick fans the alert out through the outbox and the delivery engine to the real
python-telegram-bot Bot against the fake Bot API, each person in their language, only those
who opted in, once; retiring withdraws what still waits. The dashboard in the bot's process
shares the chat's alerts, so its edit is matched at once. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.bootstrap import bootstrap, dashboard_services, stored_alerts
from bot.channels.telegram_sender import TelegramSender
from bot.core.alerts import AlertContent, AlertDraft
from bot.core.messages import Incoming
from bot.services.events import Origin
from bot.text.markup import to_plain
from tests.auxil.telegram_bot import settings_for
from tests.fakes.bot_api import FAKE_TOKEN, FakeBotAPI
from tests.fakes.core import FakeNLU, FixedClock

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
DRAFT = AlertDraft(
    {
        "bg": AlertContent(
            "Фалшиви SMS от името на Еконт",
            "SMS за неплатена такса с линк към фалшив сайт.",
            "Не отваряйте линка.",
            ("Еконт: Вашата пратка не може да бъде доставена. Платете 1,20 лв. на https://x.top",),
        ),
        "en": AlertContent(
            "Fake Econt texts", "A text about an unpaid fee.", "Do not open the link.", ()
        ),
    },
    "bg",
    "https://www.cybercrime.bg/bg/news",
)


async def test_an_alert_reaches_those_who_opted_in_once_in_their_language(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path).model_copy(update={"database_url": database_url})
    clock = FixedClock(T0)
    api = FakeBotAPI()
    async with bootstrap(settings, nlu=FakeNLU(), clock=clock) as services:
        chat = services.dialogue
        for user, language in ((11, "bg"), (12, "en"), (13, "bg")):
            await chat.handle(Incoming(user, command="start", platform_language=language))
        for user in (11, 12, 13):
            await chat.handle(Incoming(user, callback="alt:on"))
        await chat.handle(Incoming(13, callback="alt:off"))  # changed their mind

        service = stored_alerts(services.settings, services.catalog, services.sessions, clock)
        alert = await service.create(DRAFT, Origin(999, {"via": "test"}), clock.now())

        bot = Bot(
            FAKE_TOKEN,
            base_url="http://bot-api.test/bot",
            request=HTTPXRequest(httpx_kwargs={"transport": api.transport()}),
        )
        delivery = services.delivery(TelegramSender(bot))
        await services.tick(delivery)
        await services.tick(delivery)  # nothing is sent twice

        # Telegram HTML as sent; compared as the person reads it.
        to_bg = [to_plain(m.text or "") for m in api.messages_to(11)]
        to_en = [to_plain(m.text or "") for m in api.messages_to(12)]
        assert len(to_bg) == 1 and len(to_en) == 1
        assert to_bg[0].startswith("⚠️ Предупреждение за измама: Фалшиви SMS от името на Еконт")
        assert "Източник: https://www.cybercrime.bg/bg/news" in to_bg[0]
        assert "/alerts" in to_bg[0]
        assert to_en[0].startswith("⚠️ Scam alert: Fake Econt texts")
        assert "Reported on 6 December 2026." in to_en[0]
        assert api.messages_to(13) == []  # opted out
        # The same wave forwarded to the bot is recognised, for the message check.
        copy = "Еконт: Вашата пратка не може да бъде доставена. Платете 2,40 лв. на http://y.top"
        found = await service.match(copy, "en")
        assert (
            found is not None and found.alert_id == alert.id and found.title == "Fake Econt texts"
        )

        # A second alert, retired before the tick: nothing of it is sent.
        second = await service.create(DRAFT, Origin(999, {"via": "test"}), clock.now())
        await service.retire(second.id, Origin(999, {"via": "test"}), clock.now())
        await services.tick(delivery)
        assert len(api.messages_to(11)) == 1 and len(api.messages_to(12)) == 1


async def test_an_edit_on_the_dashboard_is_matched_by_the_chat_at_once(
    database_url: str, tmp_path: Path
) -> None:
    """The dashboard that runs in the bot's process shares the chat's AlertService (as
    bot/app.py builds it): no minute passes between an edit there and the chat matching it."""
    settings = settings_for(tmp_path).model_copy(update={"database_url": database_url})
    clock = FixedClock(T0)
    async with bootstrap(settings, nlu=FakeNLU(), clock=clock) as services:
        dashboard = dashboard_services(
            settings,
            services.catalog,
            services.sessions,
            clock,
            alerts=services.alert_service,
        )
        service = dashboard.alerts
        assert service is not None
        alert = await service.create(DRAFT, Origin(999, {"via": "dashboard"}), clock.now())
        chat = services.dialogue
        await chat.handle(Incoming(21, command="start", platform_language="bg"))
        courier = "Еконт: Вашата пратка не може да бъде доставена. Платете 2,40 лв. на http://y.top"
        new_number = (
            "Здравей, мамо! Това е новият ми номер, старият телефон падна във водата. "
            "Запиши си го и ми пиши във Вайбър, спешно е."
        )

        async def matched(text: str) -> bool:
            outcome = await chat.handle(
                Incoming(21, text=text, forwarded=True, platform_language="bg")
            )
            return "scam_alert" in outcome.events

        assert await matched(courier)
        bg = DRAFT.content["bg"]
        edited = AlertDraft(
            {
                **DRAFT.content,
                "bg": AlertContent(bg.title, bg.looks_like, bg.advice, (new_number,)),
            },
            "bg",
            DRAFT.source_url,
        )
        assert await service.edit(alert.id, edited, Origin(999, {"via": "dashboard"}), T0)
        assert await matched(new_number.replace("мамо", "тате"))
        assert not await matched(courier)
