"""Scam alerts through the dialogue (the features the bot runs, on fakes): an organiser writes
one step by step in two languages and publishes it; everyone else is refused; people turn
alerts on and off; organisers list, publish drafts, edit field by field and retire."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.bootstrap import DialoguePorts, build_dialogue
from bot.content.catalog import Catalog
from bot.content.typing import load_readers
from bot.core.alerts import AlertContent, AlertDraft, AlertStatus
from bot.core.flood import FloodGate, FloodLimit
from bot.core.messages import Button, Incoming, Outcome
from bot.dialogue.router import Dialogue
from bot.dialogue.understanding import Understanding
from tests.auxil.alert_dev import load_dev_set
from tests.auxil.dialogue import THRESHOLDS, dialogue_on, dialogue_settings
from tests.auxil.environment import ORGANISER_ID
from tests.fakes.alerts import MemoryAlertOptIns, MemoryAlerts
from tests.fakes.core import FakeNLU, FixedClock, MemoryAudit
from tests.fakes.unit_of_work import FakeUnitOfWork

USER = 4242
DATA = Path(__file__).resolve().parent.parent / "data"
WAVE = load_dev_set().waves[1]  # the courier-fee texts


@dataclasses.dataclass
class Bot:
    dialogue: Dialogue
    alerts: MemoryAlerts
    opt_ins: MemoryAlertOptIns
    audit: MemoryAudit
    catalog: Catalog

    async def say(self, user: int, text: str) -> Outcome:
        return await self.dialogue.handle(Incoming(user, text=text, platform_language="bg"))

    async def command(self, user: int, name: str, *args: str) -> Outcome:
        incoming = Incoming(user, command=name, args=args, platform_language="bg")
        return await self.dialogue.handle(incoming)

    async def tap(self, user: int, button: Button) -> Outcome:
        assert button.data is not None
        incoming = Incoming(user, callback=button.data, platform_language="bg")
        return await self.dialogue.handle(incoming)


def buttons(outcome: Outcome) -> list[Button]:
    return [button for reply in outcome.replies for row in reply.buttons for button in row]


def button(outcome: Outcome, label: str) -> Button:
    found = [b for b in buttons(outcome) if b.label == label]
    assert found, f"no button {label!r} in {[b.label for b in buttons(outcome)]}"
    return found[0]


def by_data(outcome: Outcome, data: str) -> Button:
    found = [b for b in buttons(outcome) if b.data == data]
    assert found, f"no button {data!r} in {[b.data for b in buttons(outcome)]}"
    return found[0]


def text(outcome: Outcome) -> str:
    return "\n".join(reply.text for reply in outcome.replies)


@pytest.fixture
def bot(catalog: Catalog, nlu: FakeNLU, clock: FixedClock, dialogue_ports: DialoguePorts) -> Bot:
    alerts, opt_ins = MemoryAlerts(), MemoryAlertOptIns()
    ports = dataclasses.replace(dialogue_ports, alerts=alerts, alert_opt_ins=opt_ins)
    # The use cases write through the unit of work: on the same stores.
    units = ports.units
    assert isinstance(units, FakeUnitOfWork)
    units.alerts, units.alert_opt_ins = alerts, opt_ins
    audit = ports.events.audit
    assert isinstance(audit, MemoryAudit)
    return Bot(dialogue_on(catalog, ports, nlu, clock), alerts, opt_ins, audit, catalog)


async def test_an_organiser_writes_an_alert_in_two_languages_and_publishes_it(bot: Bot) -> None:
    ui = bot.catalog.text
    start = await bot.command(ORGANISER_ID, "newalert")
    assert ui("bg", "alerts.new.language").split("\n")[0] in text(start)
    step = await bot.tap(ORGANISER_ID, button(start, "Български"))
    assert "Заглавие (Български" in text(step)
    step = await bot.say(ORGANISER_ID, "Фалшиви SMS от името на Еконт")
    assert "Как изглеждат съобщенията" in text(step)
    # Too long an answer is refused and asked again, nothing is lost.
    step = await bot.say(ORGANISER_ID, "х" * 1501)
    assert text(step) == ui("bg", "alerts.too_long", length=1501, max=1500)
    step = await bot.say(ORGANISER_ID, "SMS за неплатена такса с линк към фалшив сайт.")
    assert "Какво да направят хората" in text(step)
    step = await bot.say(ORGANISER_ID, "Не отваряйте линка. Проверете пратката в econt.com.")
    assert "примери" in text(step)
    # Done before any example: refused.
    early = await bot.tap(ORGANISER_ID, Button("x", data="aln:done"))
    assert text(early) == ui("bg", "alerts.need_example")
    for number, example in enumerate(WAVE.examples + WAVE.variants[:1], start=1):
        saved = await bot.say(ORGANISER_ID, example)
        assert text(saved) == ui("bg", "alerts.example_saved", number=number)
    source = await bot.tap(ORGANISER_ID, button(saved, ui("bg", "alerts.button.done")))
    assert text(source) == ui("bg", "alerts.ask.source")
    wrong = await bot.say(ORGANISER_ID, "cybercrime.bg")
    assert text(wrong) == ui("bg", "alerts.bad_url")
    preview = await bot.say(ORGANISER_ID, "https://www.cybercrime.bg/bg/news")
    assert "Фалшиви SMS от името на Еконт" in text(preview)
    assert "Източник: https://www.cybercrime.bg/bg/news" in text(preview)

    # The English text: only the language not written yet is offered.
    other = await bot.tap(ORGANISER_ID, button(preview, ui("bg", "alerts.button.add_language")))
    assert [b.label for b in buttons(other)] == ["English", ui("bg", "alerts.button.cancel")]
    await bot.tap(ORGANISER_ID, button(other, "English"))
    await bot.say(ORGANISER_ID, "Fake Econt texts about a delivery fee")
    await bot.say(ORGANISER_ID, "A text about an unpaid fee with a link to a fake site.")
    step = await bot.say(ORGANISER_ID, "Don't open the link. Check the parcel on econt.com.")
    # English typed: the dialogue answers these in English (it reads each message's language).
    step = await bot.say(ORGANISER_ID, "Econt: your parcel is held. Pay EUR 0.99 at https://x.top")
    assert step.language == "en"
    source = await bot.tap(ORGANISER_ID, by_data(step, "aln:done"))
    preview = await bot.tap(ORGANISER_ID, by_data(source, "aln:skip"))
    assert ui("bg", "alerts.preview.summary", languages="Български, English", examples=3) in text(
        preview
    )
    assert ui("bg", "alerts.button.add_language") not in [b.label for b in buttons(preview)]

    done = await bot.tap(ORGANISER_ID, button(preview, ui("bg", "alerts.button.publish")))
    assert "Предупреждение №1 е публикувано" in text(done)
    alert = bot.alerts.rows[1]
    assert alert.status is AlertStatus.PUBLISHED and alert.default_language == "bg"
    assert alert.source_url == ""  # skipped in the second round: the last answer counts
    assert alert.content["bg"].examples == (*WAVE.examples, WAVE.variants[0])
    assert alert.content["en"].title == "Fake Econt texts about a delivery fee"
    assert [(actor, action) for actor, action, _ in bot.audit.rows] == [
        (ORGANISER_ID, "alert_created"),
        (ORGANISER_ID, "alert_published"),
    ]
    # The subscribers' message is written in every language, from the alert's own text.
    assert "Fake Econt texts" in bot.alerts.payloads[1]["en"]["text"]
    assert "Фалшиви SMS" in bot.alerts.payloads[1]["bg"]["text"]
    # The wizard is over: its buttons are stale now.
    assert await bot.tap(ORGANISER_ID, button(preview, ui("bg", "alerts.button.publish")))
    assert len(bot.alerts.rows) == 1


async def test_a_draft_cancel_and_the_organisers_list(bot: Bot) -> None:
    ui = bot.catalog.text
    start = await bot.command(ORGANISER_ID, "newalert")
    cancelled = await bot.tap(ORGANISER_ID, button(start, ui("bg", "alerts.button.cancel")))
    assert text(cancelled) == ui("bg", "alerts.cancelled")
    assert bot.alerts.rows == {}

    start = await bot.command(ORGANISER_ID, "newalert")
    await bot.tap(ORGANISER_ID, button(start, "Български"))
    for answer in ("Заглавие", "Как изглежда", "Какво да правите", WAVE.examples[0]):
        step = await bot.say(ORGANISER_ID, answer)
    source = await bot.tap(ORGANISER_ID, button(step, ui("bg", "alerts.button.done")))
    preview = await bot.tap(ORGANISER_ID, button(source, ui("bg", "alerts.button.skip")))
    drafted = await bot.tap(ORGANISER_ID, button(preview, ui("bg", "alerts.button.draft")))
    assert text(drafted) == ui("bg", "alerts.drafted", id=1)
    assert bot.alerts.rows[1].status is AlertStatus.DRAFT

    listed = await bot.command(ORGANISER_ID, "alertlist")
    assert "№1 · чернова" in text(listed)
    published = await bot.tap(
        ORGANISER_ID, button(listed, ui("bg", "alerts.button.publish_id", id=1))
    )
    assert "Предупреждение №1 е публикувано" in text(published)
    # A forwarded copy is recognised at once by the message check (one service for both).
    copy = WAVE.variants[1]
    checked = await bot.dialogue.handle(
        Incoming(USER, text=copy, forwarded=True, platform_language="bg")
    )
    assert "scam_alert" in checked.events and "Заглавие" in text(checked)
    listed = await bot.command(ORGANISER_ID, "alertlist")
    assert "№1 · публикувано" in text(listed)
    assert "съвпадения: 1" in text(listed)
    retired = await bot.tap(ORGANISER_ID, button(listed, ui("bg", "alerts.button.retire", id=1)))
    assert text(retired) == ui("bg", "alerts.retired", id=1)
    again = await bot.command(ORGANISER_ID, "retirealert", "1")
    assert text(again) == ui("bg", "alerts.retired", id=1)  # already retired: nothing changes
    missing = await bot.command(ORGANISER_ID, "retirealert", "7")
    assert text(missing) == ui("bg", "alerts.not_found", id=7)
    usage = await bot.command(ORGANISER_ID, "retirealert")
    assert text(usage) == ui("bg", "alerts.retire_usage")
    assert [action for _, action, _ in bot.audit.rows] == [
        "alert_created",
        "alert_published",
        "alert_retired",
    ]


async def test_everyone_else_is_refused_the_organisers_commands_and_buttons(bot: Bot) -> None:
    refused = bot.catalog.text("bg", "error.organisers_only")
    for name, args in (("newalert", ()), ("alertlist", ()), ("retirealert", ("1",))):
        assert text(await bot.command(USER, name, *args)) == refused
    assert text(await bot.tap(USER, Button("x", data="all:ret:1"))) == refused
    assert text(await bot.tap(USER, Button("x", data="aln:pub"))) == refused
    assert bot.alerts.rows == {} and bot.audit.rows == []


async def test_people_turn_alerts_on_and_off(bot: Bot) -> None:
    ui = bot.catalog.text
    status = await bot.command(USER, "alerts")
    assert text(status) == ui("bg", "alerts.status.off")
    on = await bot.tap(USER, button(status, ui("bg", "alerts.button.on")))
    assert text(on) == ui("bg", "alerts.status.on") and on.events == ("alerts_on",)
    assert USER in bot.opt_ins.on
    assert text(await bot.command(USER, "alerts")) == ui("bg", "alerts.status.on")
    off = await bot.tap(USER, button(on, ui("bg", "alerts.button.off")))
    assert text(off) == ui("bg", "alerts.status.off")
    assert USER not in bot.opt_ins.on
    # A forged button does nothing.
    forged = await bot.tap(USER, Button("x", data="alt:maybe"))
    assert USER not in bot.opt_ins.on and "alerts" not in text(forged)


async def test_viewers_and_regional_organisers_are_refused_by_the_service(
    bot: Bot, dialogue_ports: DialoguePorts, clock: FixedClock
) -> None:
    """They are organisers' rows, so the chat lets them reach the commands; the service
    refuses them (an alert belongs to no region) and the chat says so."""
    refused = bot.catalog.text("bg", "error.organisers_only")
    roles = dialogue_ports.events.roles
    await roles.set_staff(701, "viewer", frozenset(), None, clock.now())
    await roles.set_staff(702, "organiser", frozenset({"plovdiv"}), None, clock.now())
    draft = AlertDraft(
        {"bg": AlertContent("Заглавие", "Как изглежда", "Какво да правите", WAVE.examples[:1])},
        "bg",
    )
    alert = await bot.alerts.create(draft, ORGANISER_ID, clock.now())
    for user in (701, 702):
        assert text(await bot.tap(user, Button("x", data=f"all:pub:{alert.id}"))) == refused
        assert text(await bot.command(user, "retirealert", str(alert.id))) == refused
    assert bot.alerts.rows[alert.id].status is AlertStatus.DRAFT and bot.audit.rows == []
    published = await bot.tap(ORGANISER_ID, Button("x", data=f"all:pub:{alert.id}"))
    assert "№1" in text(published) and bot.alerts.rows[alert.id].status is AlertStatus.PUBLISHED


async def test_an_organiser_edits_a_published_alert_field_by_field(
    bot: Bot, clock: FixedClock
) -> None:
    ui = bot.catalog.text
    draft = AlertDraft(
        {"bg": AlertContent("Заглавие", "Как изглежда", "Какво да правите", WAVE.examples)},
        "bg",
        "https://www.cybercrime.bg/",
    )
    await bot.alerts.create(draft, ORGANISER_ID, clock.now())
    await bot.tap(ORGANISER_ID, Button("x", data="all:pub:1"))
    listed = await bot.command(ORGANISER_ID, "alertlist")
    start = await bot.tap(ORGANISER_ID, button(listed, ui("bg", "alerts.button.edit_id", id=1)))
    assert text(start) == ui("bg", "alerts.edit.language", id=1)
    menu = await bot.tap(ORGANISER_ID, button(start, "Български"))
    assert "<b>Заглавие:</b> Заглавие" in text(menu) and "<b>Примери:</b> 1" in text(menu)

    # The title: too long is refused and asked again; the new one is saved at once, audited.
    asked = await bot.tap(ORGANISER_ID, button(menu, ui("bg", "alerts.edit.button.title")))
    assert "Заглавие (Български" in text(asked)
    too_long = await bot.say(ORGANISER_ID, "х" * 121)
    assert text(too_long) == ui("bg", "alerts.too_long", length=121, max=120)
    saved = await bot.say(ORGANISER_ID, "Фалшив „нов номер“ на дете")
    assert saved.events == ("alert_edited",)
    assert ui("bg", "alerts.edit.saved", id=1) in text(saved)
    assert "<b>Заглавие:</b> Фалшив „нов номер“ на дете" in text(saved)
    assert bot.alerts.rows[1].content["bg"].title == "Фалшив „нов номер“ на дете"

    # The examples are replaced: the old wave's copies no longer match, the new one's do.
    new_number = load_dev_set().waves[0]
    asked = await bot.tap(ORGANISER_ID, button(saved, ui("bg", "alerts.edit.button.examples")))
    assert "ale:back" in [b.data for b in buttons(asked)]
    early = await bot.tap(ORGANISER_ID, Button("x", data="ale:done"))  # before any example
    assert text(early) == ui("bg", "alerts.need_example")
    step = await bot.say(ORGANISER_ID, new_number.examples[0])
    assert text(step) == ui("bg", "alerts.example_saved", number=1)
    saved = await bot.tap(ORGANISER_ID, by_data(step, "ale:done"))
    assert bot.alerts.rows[1].content["bg"].examples == new_number.examples
    assert bot.alerts.rows[1].status is AlertStatus.PUBLISHED
    old = await bot.dialogue.handle(
        Incoming(USER, text=WAVE.variants[0], forwarded=True, platform_language="bg")
    )
    assert "scam_alert" not in old.events
    new = await bot.dialogue.handle(
        Incoming(USER, text=new_number.variants[1], forwarded=True, platform_language="bg")
    )
    assert "scam_alert" in new.events and "Фалшив „нов номер“ на дете" in text(new)

    # The source: a wrong address is refused; "No source" removes it.
    again = await bot.command(ORGANISER_ID, "editalert", "1")
    menu = await bot.tap(ORGANISER_ID, button(again, "Български"))
    asked = await bot.tap(ORGANISER_ID, button(menu, ui("bg", "alerts.edit.button.source")))
    wrong = await bot.say(ORGANISER_ID, "cybercrime.bg")
    assert text(wrong) == ui("bg", "alerts.edit.bad_url")
    removed = await bot.tap(ORGANISER_ID, button(asked, ui("bg", "alerts.edit.button.no_source")))
    assert "<b>Източник:</b> —" in text(removed) and bot.alerts.rows[1].source_url == ""

    # A language the alert has no text in: what is missing is named and nothing is saved.
    done = await bot.tap(ORGANISER_ID, button(removed, ui("bg", "alerts.edit.button.finish")))
    assert text(done) == ui("bg", "alerts.edit.finished", id=1)
    again = await bot.command(ORGANISER_ID, "editalert", "№1")
    menu = await bot.tap(ORGANISER_ID, button(again, "English"))
    assert "<b>Заглавие:</b> —" in text(menu)
    await bot.tap(ORGANISER_ID, button(menu, ui("bg", "alerts.edit.button.title")))
    refused = await bot.say(ORGANISER_ID, "Fake 'new number' texts")
    field = ui("bg", "alerts.field.looks_like")
    assert ui("bg", "alerts.problem.missing", field=field, language="en") in text(refused)
    assert set(bot.alerts.rows[1].content) == {"bg"}
    cancelled = await bot.tap(ORGANISER_ID, Button("x", data="ale:x"))
    assert text(cancelled) == ui("bg", "alerts.edit.cancelled")
    # The edit is over: its buttons are stale now.
    stale = await bot.tap(ORGANISER_ID, button(menu, ui("bg", "alerts.edit.button.title")))
    assert text(stale) == ui("bg", "error.stale_button")

    assert [action for _, action, _ in bot.audit.rows] == [
        "alert_published",
        "alert_edited",
        "alert_edited",
        "alert_edited",
    ]
    assert text(await bot.command(ORGANISER_ID, "editalert")) == ui("bg", "alerts.edit.usage")
    assert text(await bot.command(ORGANISER_ID, "editalert", "9")) == ui(
        "bg", "alerts.not_found", id=9
    )
    await bot.command(ORGANISER_ID, "retirealert", "1")
    assert text(await bot.command(ORGANISER_ID, "editalert", "1")) == ui(
        "bg", "alerts.not_found", id=1
    )
    refused_user = bot.catalog.text("bg", "error.organisers_only")
    assert text(await bot.command(USER, "editalert", "1")) == refused_user
    assert text(await bot.tap(USER, Button("x", data="ale:f:title"))) == refused_user


async def test_a_latin_typed_copy_forwarded_to_the_bot_matches_the_wave_published_in_cyrillic(
    catalog: Catalog, nlu: FakeNLU, clock: FixedClock, dialogue_ports: DialoguePorts
) -> None:
    """The dialogue as the bot builds it, with the readers of data/typing: the alert lookup
    reads the message as the NLU would be asked it."""
    alerts = MemoryAlerts()
    ports = dataclasses.replace(dialogue_ports, alerts=alerts, alert_opt_ins=MemoryAlertOptIns())
    units = ports.units
    assert isinstance(units, FakeUnitOfWork)
    units.alerts = alerts
    readers = load_readers(DATA, catalog.languages)
    dialogue = build_dialogue(
        dialogue_settings(),
        catalog,
        ports,
        Understanding(nlu, THRESHOLDS, readers),
        clock,
        flood=FloodGate(FloodLimit(messages=100_000)),
    )
    new_number = load_dev_set().waves[0]
    draft = AlertDraft(
        {
            "bg": AlertContent(
                "Фалшив „нов номер“", "Дете с нов номер", "Обадете се", new_number.examples
            )
        },
        "bg",
    )
    alert = await alerts.create(draft, ORGANISER_ID, clock.now())
    tap = Incoming(ORGANISER_ID, callback=f"all:pub:{alert.id}", platform_language="bg")
    await dialogue.handle(tap)
    for copy in new_number.latin:
        checked = await dialogue.handle(
            Incoming(USER, text=copy, forwarded=True, platform_language="bg")
        )
        assert "scam_alert" in checked.events, copy
        assert "Фалшив „нов номер“" in text(checked)
    counted = await alerts.get(alert.id)
    assert counted is not None and counted.matches == len(new_number.latin)
