"""Event texts come from organisers and imported files: whatever they hold, every reply about an
event is valid Telegram HTML and shows the text as written."""

from __future__ import annotations

from bot.content.catalog import Catalog
from bot.core.events import EventText
from bot.core.messages import Incoming, Outcome
from bot.core.ports import EventPorts
from bot.dialogue.router import Dialogue
from bot.text.markup import check_markup
from tests.auxil.events import add_event, draft
from tests.fakes.core import FixedClock

USER = 31
TITLE = "Q&A <live> with CERT & friends"


def replies_are_valid(outcome: Outcome) -> str:
    for reply in outcome.replies:
        assert check_markup(reply.text) is None, reply.text
    return "\n".join(reply.text for reply in outcome.replies)


async def test_an_event_title_with_markup_characters_is_escaped_everywhere(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, catalog: Catalog
) -> None:
    texts = {lang: EventText(TITLE, "Bring <questions> & answers.") for lang in catalog.languages}
    event_id = await add_event(ports, clock, draft("qa", texts=texts, place="Hall <A> & B"))
    shown = replies_are_valid(
        await dialogue.handle(Incoming(USER, command="events", platform_language="en"))
    )
    assert "Q&amp;A &lt;live&gt; with CERT &amp; friends" in shown
    replies_are_valid(await dialogue.handle(Incoming(USER, callback=f"ev:{event_id}")))
    replies_are_valid(await dialogue.handle(Incoming(USER, callback=f"er:{event_id}")))
