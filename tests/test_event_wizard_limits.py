"""The /newevent wizard refuses what check_draft refuses, and says the limit check_draft holds."""

from __future__ import annotations

import pytest

from bot.content.catalog import Catalog
from bot.core.event_codec import FIELDS
from bot.core.events import ORGANISER_MAX, PLACE_MAX
from bot.core.messages import Incoming, Outcome
from bot.dialogue.router import Dialogue
from bot.features.organising.event_steps import event_steps
from tests.auxil.environment import ORGANISER_ID


async def _to_step(dialogue: Dialogue, catalog: Catalog, step: str) -> None:
    """Through the wizard with good answers, up to `step`."""

    async def say(text: str) -> Outcome:
        return await dialogue.handle(Incoming(ORGANISER_ID, text=text))

    async def press(data: str) -> Outcome:
        return await dialogue.handle(Incoming(ORGANISER_ID, callback=data))

    await dialogue.handle(Incoming(ORGANISER_ID, command="newevent"))
    for lang in catalog.languages:
        await say(f"Passwords for seniors ({lang})")
        await say(f"Bring your phone; we set up two-factor authentication ({lang}).")
    await press(f"nz:{catalog.timezones.index('Europe/Sofia')}")
    await say("2026-10-20 18:00")
    await say("19:30")
    if step == "place":
        return
    await say("Plovdiv, Community centre")
    await press("nk:online_url")
    await press("nr:plovdiv")
    await press("na:citizen")


# The organiser's answer was refused as "at most 200 characters", the place's limit, for a
# limit of 120.
@pytest.mark.parametrize(("step", "limit"), [("organiser", ORGANISER_MAX), ("place", PLACE_MAX)])
async def test_a_long_answer_is_refused_with_its_own_limit(
    dialogue: Dialogue, catalog: Catalog, step: str, limit: int
) -> None:
    await _to_step(dialogue, catalog, step)
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, text="x" * (limit + 1)))
    said = outcome.replies[0].text
    assert said == catalog.plural("en", "event.problem.too_long", limit, field=step)


async def test_the_longest_organiser_check_draft_takes_is_taken(
    dialogue: Dialogue, catalog: Catalog
) -> None:
    await _to_step(dialogue, catalog, "organiser")
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, text="x" * ORGANISER_MAX))
    assert "nk:link" in [b.data for r in outcome.replies for row in r.buttons for b in row]


def test_the_wizard_asks_for_every_field_an_organiser_gives() -> None:
    steps = event_steps(("en", "bg"))
    # The key is made up, the country follows the region, `sample` is for shipped events only.
    given = set(FIELDS) - {"key", "texts", "country", "sample"}
    assert {step.field for step in steps} == given | {"title", "description"}
    assert [s.name for s in steps if s.language] == [
        "title_en",
        "description_en",
        "title_bg",
        "description_bg",
    ]
    # What check_draft lets be empty may be skipped; the rest must be answered.
    assert {step.name for step in steps if step.optional} == {"place", "online_url", "link"}
