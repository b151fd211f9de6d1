"""The roles and regions of bot/core/roles.py hold in the chat commands too: a viewer reads, a
regional organiser changes only its region's events, a stored admin manages organisers, and
/dashboard opens the dashboard."""

from __future__ import annotations

from bot.channels.telegram import keyboard
from bot.content.catalog import Catalog
from bot.core.messages import Button, Incoming, Reply
from bot.core.ports import EventPorts, EventStatus
from bot.dialogue.router import Dialogue
from tests.auxil.events import add_event, draft
from tests.fakes.core import FixedClock, MemoryEvents, MemoryRoles

VIEWER, REGIONAL, STORED_ADMIN = 31, 32, 33


def roles_of(ports: EventPorts) -> MemoryRoles:
    roles = ports.roles
    assert isinstance(roles, MemoryRoles)
    roles.rows |= {VIEWER, REGIONAL, STORED_ADMIN}
    roles.scopes[VIEWER] = ("viewer", frozenset())
    roles.scopes[REGIONAL] = ("organiser", frozenset({"varna"}))
    roles.scopes[STORED_ADMIN] = ("admin", frozenset())
    return roles


async def text_of(dialogue: Dialogue, user: int, command: str, *args: str) -> str:
    outcome = await dialogue.handle(Incoming(user, command=command, args=args))
    return outcome.replies[0].text


async def test_a_viewer_reads_the_figures_and_changes_nothing(
    dialogue: Dialogue, ports: EventPorts, catalog: Catalog
) -> None:
    roles_of(ports)
    strings = catalog.strings["en"]
    for command in ("newevent", "announce", "cancelevent"):
        assert await text_of(dialogue, VIEWER, command, "1") == strings["error.organisers_only"]
    assert await text_of(dialogue, VIEWER, "organiser", "add", "5") == strings["error.admins_only"]
    assert await text_of(dialogue, VIEWER, "broadcasts") != strings["error.organisers_only"]


async def test_a_regional_organiser_is_refused_another_regions_event(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, catalog: Catalog
) -> None:
    roles_of(ports)
    plovdiv = await add_event(ports, clock, draft("plovdiv-talk", days=3, region="plovdiv"))
    varna = await add_event(ports, clock, draft("varna-talk", days=3, region="varna"))
    events = ports.events
    assert isinstance(events, MemoryEvents)
    await dialogue.handle(Incoming(REGIONAL, command="cancelevent", args=(str(plovdiv),)))
    outcome = await dialogue.handle(Incoming(REGIONAL, callback=f"ecx:{plovdiv}"))
    assert outcome.replies[0].text == catalog.strings["en"]["error.not_your_region"]
    assert events.rows[plovdiv].status == EventStatus.ACTIVE
    await dialogue.handle(Incoming(REGIONAL, command="cancelevent", args=(str(varna),)))
    await dialogue.handle(Incoming(REGIONAL, callback=f"ecx:{varna}"))
    assert events.rows[varna].status == EventStatus.CANCELLED


async def test_a_stored_admin_manages_organisers(
    dialogue: Dialogue, ports: EventPorts, catalog: Catalog
) -> None:
    roles = roles_of(ports)
    await text_of(dialogue, STORED_ADMIN, "organiser", "add", "77")
    assert 77 in roles.rows
    refused = await text_of(dialogue, REGIONAL, "organiser", "remove", "77")
    assert refused == catalog.strings["en"]["error.admins_only"] and 77 in roles.rows


async def test_dashboard_command_and_its_mini_app_button(
    dialogue: Dialogue, ports: EventPorts, catalog: Catalog
) -> None:
    roles_of(ports)
    assert "ecsm-bot dashboard link --user 31" in await text_of(dialogue, VIEWER, "dashboard")
    refused = await text_of(dialogue, 12345, "dashboard")
    assert refused == catalog.strings["en"]["error.organisers_only"]
    # Telegram gets a web_app button for a Mini App address.
    markup = keyboard(
        Reply("x", buttons=((Button("Open", web_app="https://ecsm.example/webapp"),),))
    )
    assert markup is not None
    button = markup.inline_keyboard[0][0]
    assert button.web_app is not None and button.web_app.url == "https://ecsm.example/webapp"
