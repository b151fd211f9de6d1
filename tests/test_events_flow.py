"""Events, reminders, announcements and the organisers' tools in the core, with fakes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.content.catalog import Catalog
from bot.core.events import EventDraft, EventText
from bot.core.messages import Incoming, Outcome
from bot.core.ports import EventPorts
from bot.dialogue.router import Dialogue
from bot.events.importer import read_events
from tests.auxil.environment import ORGANISER_ID, ROOT
from tests.auxil.events import SOFIA, add_event, draft, tell_who_asked
from tests.fakes.core import (
    FixedClock,
    MemoryAudit,
    MemoryBroadcasts,
    MemoryConversations,
    MemoryDeliveries,
    MemoryEvents,
    MemoryRoles,
    MemorySubscriptions,
)

USER, OTHER = 21, 22


def datas(outcome: Outcome) -> list[str]:
    return [b.data or "" for r in outcome.replies for row in r.buttons for b in row]


async def test_events_list_paginates_filters_and_formats_in_the_users_language(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, catalog: Catalog
) -> None:
    for i in range(7):
        await add_event(
            ports, clock, draft(f"event-{i}", days=i + 1, region="plovdiv" if i % 2 else "varna")
        )
    outcome = await dialogue.handle(Incoming(USER, command="events", platform_language="bg"))
    text = outcome.replies[0].text
    assert "страница 1 от 2" in text
    assert "октомври" in text  # Babel, in Bulgarian
    assert "el:1:x:a" in datas(outcome)
    outcome = await dialogue.handle(Incoming(USER, callback="el:1:x:a"))
    assert "event-5" in outcome.replies[0].text and "event-6" in outcome.replies[0].text
    outcome = await dialogue.handle(Incoming(USER, callback="el:0:varna:a"))
    assert all(f"event-{i}" not in outcome.replies[0].text for i in (1, 3, 5))
    online = draft(
        "online-one",
        days=2,
        place=None,
        online_url="https://cybersecuritymonth.eu",
        region="online",
    )
    await add_event(ports, clock, online)
    outcome = await dialogue.handle(Incoming(USER, callback="el:0:x:o"))
    assert "online-one" in outcome.replies[0].text and "event-0" not in outcome.replies[0].text


async def test_remind_me_schedules_24h_and_1h_before_and_never_after_the_start(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock
) -> None:
    event_id = await add_event(ports, clock, draft(days=3))
    outcome = await dialogue.handle(Incoming(USER, callback=f"ev:{event_id}"))
    assert f"er:{event_id}" in datas(outcome) and f"ec:{event_id}" in datas(outcome)
    await dialogue.handle(Incoming(USER, callback=f"er:{event_id}"))
    deliveries = ports.deliveries
    assert isinstance(deliveries, MemoryDeliveries)
    start = draft(days=3).start
    times = sorted(item.not_before for item in deliveries.pending())
    assert times == [start - dt.timedelta(hours=24), start - dt.timedelta(hours=1)]
    assert all(item.expires_at == start for item in deliveries.pending())
    # Pressing twice schedules nothing new (same keys).
    await dialogue.handle(Incoming(USER, callback=f"er:{event_id}"))
    assert len(deliveries.pending()) == 2
    # An event that starts in 30 minutes gets no reminder at all from now on.
    soon = await add_event(
        ports,
        clock,
        draft(
            "soon",
            start=clock.now() + dt.timedelta(minutes=30),
            end=clock.now() + dt.timedelta(hours=2),
        ),
    )
    await dialogue.handle(Incoming(OTHER, callback=f"er:{soon}"))
    assert not [i for i in deliveries.pending() if i.user_id == OTHER]
    # "No reminders" drops what waits.
    await dialogue.handle(Incoming(USER, callback=f"eu:{event_id}"))
    assert not [i for i in deliveries.pending() if i.user_id == USER]


async def test_change_and_cancel_tell_everyone_who_asked(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, catalog: Catalog
) -> None:
    event_id = await add_event(ports, clock, draft(days=3))
    await dialogue.handle(Incoming(USER, callback=f"er:{event_id}"))
    await dialogue.handle(Incoming(OTHER, callback=f"er:{event_id}", platform_language="bg"))
    deliveries = ports.deliveries
    assert isinstance(deliveries, MemoryDeliveries)
    # The organiser moves it a day later: old reminders dropped, a notice and new ones queued.
    event = await ports.events.get(event_id)
    assert event is not None
    moved = draft(days=4)
    saved = await ports.events.save(moved, ORGANISER_ID, clock.now())
    told = await tell_who_asked(dialogue, ports, saved, clock.now())
    assert told == 2
    pending = deliveries.pending()
    notices = [i for i in pending if i.kind == "event_notice"]
    assert {i.user_id for i in notices} == {USER, OTHER}
    assert "октомври" in next(i for i in notices if i.user_id == OTHER).payload["text"]
    reminders = [i for i in pending if i.kind == "reminder"]
    assert {i.not_before for i in reminders} == {
        moved.start - dt.timedelta(hours=24),
        moved.start - dt.timedelta(hours=1),
    }
    outcome = await dialogue.handle(
        Incoming(ORGANISER_ID, command="cancelevent", args=(str(event_id),))
    )
    assert f"ecx:{event_id}" in datas(outcome)
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, callback=f"ecx:{event_id}"))
    assert not [i for i in deliveries.pending() if i.kind == "reminder"]
    cancelled = [i for i in deliveries.pending() if i.key.endswith(f":cancelled:{USER}")]
    assert len(cancelled) == 1
    audit = ports.audit
    assert isinstance(audit, MemoryAudit)
    assert audit.rows[-1][:2] == (ORGANISER_ID, "event_cancelled")


async def test_organiser_commands_are_refused_to_everyone_else(
    dialogue: Dialogue, catalog: Catalog, ports: EventPorts
) -> None:
    refused = catalog.strings["en"]["error.organisers_only"]
    for command in ("newevent", "announce", "broadcasts", "stats", "cancelevent", "editevent"):
        outcome = await dialogue.handle(Incoming(USER, command=command))
        assert outcome.replies[0].text == refused, command
    for data in ("nsave", "asy", "bx:1", "ecx:1", "nz:0"):
        outcome = await dialogue.handle(Incoming(USER, callback=data))
        assert outcome.replies[0].text == refused, data
    outcome = await dialogue.handle(
        Incoming(ORGANISER_ID, command="organiser", args=("add", str(USER)))
    )
    assert str(USER) in outcome.replies[0].text
    roles = ports.roles
    assert isinstance(roles, MemoryRoles) and USER in roles.rows
    # An organiser who is not an admin cannot add organisers.
    outcome = await dialogue.handle(Incoming(USER, command="organiser", args=("add", "5")))
    assert outcome.replies[0].text == catalog.strings["en"]["error.admins_only"]


async def test_new_event_conversation_with_checks_preview_and_save(
    dialogue: Dialogue, catalog: Catalog, ports: EventPorts, conversations: MemoryConversations
) -> None:
    org = ORGANISER_ID
    strings = catalog.strings["en"]

    async def say(text: str) -> Outcome:
        return await dialogue.handle(Incoming(org, text=text))

    async def press(data: str) -> Outcome:
        return await dialogue.handle(Incoming(org, callback=data))

    outcome = await dialogue.handle(Incoming(org, command="newevent"))
    assert "nx" in datas(outcome)  # cancel at every step
    for lang in catalog.languages:  # bg, then en
        await say(f"Passwords for seniors ({lang})")
        await say(f"Bring your phone; we set up two-factor authentication together ({lang}).")
    outcome = await say("Mars/Olympus")
    assert (
        strings["event.problem.unknown_timezone"].split("{")[0] in outcome.replies[0].text
        or "Mars/Olympus" in outcome.replies[0].text
    )
    zone = catalog.timezones.index("Europe/Sofia")
    await press(f"nz:{zone}")
    outcome = await say("2020-01-01 10:00")
    assert outcome.replies[0].text == strings["event.problem.start_in_past"]
    await say("2026-10-20 18:00")
    outcome = await say("17:00")
    assert outcome.replies[0].text == strings["event.problem.end_before_start"]
    await say("19:30")
    await say("Plovdiv, Community centre, 12 Main St")
    outcome = await say("http://not-secure.example")
    assert "https" in outcome.replies[0].text
    await press("nk:online_url")
    await press("nr:plovdiv")
    await press("na:citizen")
    await say("Plovdiv Library")
    outcome = await press("nk:link")
    assert "nsave" in datas(outcome)
    assert "Passwords for seniors (en)" in outcome.replies[0].text
    assert "nsave" not in datas(await press("nz:0"))  # a button of another step: refused
    outcome = await press("nsave")
    events = ports.events
    assert isinstance(events, MemoryEvents) and len(events.rows) == 1
    saved = next(iter(events.rows.values()))
    assert saved.draft.start == dt.datetime(2026, 10, 20, 18, 0, tzinfo=SOFIA)
    assert saved.draft.end == dt.datetime(2026, 10, 20, 19, 30, tzinfo=SOFIA)
    assert org not in conversations.rows
    audit = ports.audit
    assert isinstance(audit, MemoryAudit) and audit.rows[-1][1] == "event_created"


async def test_announce_refuses_bad_html_and_long_text_then_previews_and_sends(
    dialogue: Dialogue, catalog: Catalog, ports: EventPorts
) -> None:
    org = ORGANISER_ID
    strings = catalog.strings["en"]
    await dialogue.handle(Incoming(org, command="announce"))
    outcome = await dialogue.handle(Incoming(org, text="<b>Join us<b> <script>x</script>"))
    assert outcome.replies[0].text.startswith(strings["ann.bad_html"].split("{")[0])
    outcome = await dialogue.handle(Incoming(org, text="x" * 5000))
    assert "4,096" in outcome.replies[0].text and "5,000 characters" in outcome.replies[0].text
    await dialogue.handle(
        Incoming(org, text="<b>Webinar</b> on phishing, Thursday 18:00 &amp; online")
    )
    outcome = await dialogue.handle(Incoming(org, text="Sign up | https://cybersecuritymonth.eu"))
    assert "aa:citizen" in datas(outcome)
    outcome = await dialogue.handle(Incoming(org, callback="aa:citizen"))
    preview = outcome.replies[1]
    assert preview.text.startswith("<b>Webinar</b>")
    assert preview.buttons[0][0].url == "https://cybersecuritymonth.eu"
    assert "3" in outcome.replies[2].text  # the audience size
    outcome = await dialogue.handle(Incoming(org, callback="as"))
    assert "asy" in datas(outcome)
    outcome = await dialogue.handle(Incoming(org, callback="asy"))
    broadcasts = ports.broadcasts
    assert isinstance(broadcasts, MemoryBroadcasts)
    record = broadcasts.rows[1]
    assert record.audience.segment == "citizen" and record.send_at == dialogue.clock.now()
    outcome = await dialogue.handle(Incoming(org, command="broadcasts"))
    assert "#1" in outcome.replies[0].text and "bx:1" in datas(outcome)
    await dialogue.handle(Incoming(org, callback="bx:1"))
    assert broadcasts.rows[1].status == "cancelled"


async def test_stats_for_organisers_come_with_a_chart(dialogue: Dialogue, catalog: Catalog) -> None:
    outcome = await dialogue.handle(Incoming(ORGANISER_ID, command="stats"))
    assert outcome.replies[0].text.startswith(catalog.plural("en", "stats.title", 60).split("(")[0])
    document = outcome.replies[1].document
    assert document is not None and document.mime_type == "image/png"


async def test_times_carry_the_offset_in_force_at_the_event(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock
) -> None:
    october = await add_event(ports, clock, draft("in-october", days=3))
    winter_start = dt.datetime(2027, 1, 20, 18, 0, tzinfo=SOFIA)
    january = await add_event(
        ports,
        clock,
        draft("in-january", start=winter_start, end=winter_start + dt.timedelta(hours=1)),
    )
    bg = Incoming(USER, callback=f"ev:{october}", platform_language="bg")
    assert "UTC+03:00" in (await dialogue.handle(bg)).replies[0].text
    outcome = await dialogue.handle(Incoming(USER, callback=f"ev:{january}"))
    assert "18:00" in outcome.replies[0].text and "UTC+02:00" in outcome.replies[0].text


# --- whose clock: the viewer's zone, and the venue's where it differs ------------------------


def sofia_talk(**kw: Any) -> EventDraft:
    start = dt.datetime(2026, 10, 8, 18, 30, tzinfo=SOFIA)
    values: dict[str, Any] = {
        "start": start,
        "end": start + dt.timedelta(minutes=90),
        "region": "sofia_city",
        "place": "Sofia, Central library",
    }
    return dataclasses.replace(draft("talk-sofia"), **(values | kw))


async def test_without_a_stored_zone_times_are_in_the_campaign_zone_not_the_languages(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock
) -> None:
    # An English speaker without a subscription may well be in Sofia: English is no place, so
    # the campaign's DEFAULT_TIMEZONE (Europe/Sofia in these tests) is used, not Brussels.
    event_id = await add_event(ports, clock, sofia_talk())
    listing = await dialogue.handle(Incoming(USER, command="events", platform_language="en"))
    card = await dialogue.handle(Incoming(USER, callback=f"ev:{event_id}"))
    await dialogue.handle(Incoming(USER, callback=f"er:{event_id}"))
    await ports.events.save(sofia_talk(place="Sofia, Tech Park"), ORGANISER_ID, clock.now())
    event = await ports.events.get(event_id)
    assert event is not None
    await tell_who_asked(dialogue, ports, event, clock.now())
    deliveries = ports.deliveries
    assert isinstance(deliveries, MemoryDeliveries)
    sent = [item.payload["text"] for item in deliveries.pending()]
    assert {item.kind for item in deliveries.pending()} == {"reminder", "event_notice"}
    for text in [listing.replies[0].text, card.replies[0].text, *sent]:
        assert "18:30–20:00, Sofia (UTC+03:00)" in text, text
        # The venue is in the viewer's zone: its time is not repeated.
        assert "Brussels" not in text and text.count("18:30") == 1, text


async def test_a_stored_zone_wins_and_an_in_person_event_also_shows_the_venues_time(
    dialogue: Dialogue,
    ports: EventPorts,
    clock: FixedClock,
    subscriptions: MemorySubscriptions,
    catalog: Catalog,
) -> None:
    await subscriptions.save(USER, "citizen", 480, "Europe/Lisbon", clock.now())
    event_id = await add_event(ports, clock, sofia_talk())
    listing = await dialogue.handle(Incoming(USER, command="events", platform_language="en"))
    card = await dialogue.handle(Incoming(USER, callback=f"ev:{event_id}"))
    await dialogue.handle(Incoming(USER, callback=f"er:{event_id}"))
    deliveries = ports.deliveries
    assert isinstance(deliveries, MemoryDeliveries)
    reminders = [item.payload["text"] for item in deliveries.pending()]
    assert len(reminders) == 2
    venue = catalog.html(
        "en", "events.venue_time", time="18:30–20:00", city="Sofia", offset="UTC+03:00"
    )
    for text in [listing.replies[0].text, card.replies[0].text, *reminders]:
        assert "16:30–18:00, Lisbon (UTC+01:00)" in text, text
        assert venue in text, text
    # The language changes the words, not the clock.
    await dialogue.handle(Incoming(USER, callback="l:bg"))
    card = await dialogue.handle(Incoming(USER, callback=f"ev:{event_id}"))
    text = card.replies[0].text
    assert "16:30–18:00, Лисабон (UTC+01:00)" in text, text
    assert (
        catalog.html(
            "bg", "events.venue_time", time="18:30–20:00", city="София", offset="UTC+03:00"
        )
        in text
    )


async def test_an_online_event_shows_only_the_viewers_time(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, subscriptions: MemorySubscriptions
) -> None:
    await subscriptions.save(USER, "citizen", 480, "Europe/Lisbon", clock.now())
    online = sofia_talk(place=None, online_url="https://cybersecuritymonth.eu", region="online")
    event_id = await add_event(ports, clock, online)
    card = await dialogue.handle(Incoming(USER, callback=f"ev:{event_id}"))
    text = card.replies[0].text
    assert "16:30–18:00, Lisbon (UTC+01:00)" in text
    assert "18:30" not in text and "Sofia" not in text


async def test_the_venues_date_is_shown_when_it_is_another_day_there(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, subscriptions: MemorySubscriptions
) -> None:
    await subscriptions.save(USER, "citizen", 480, "America/New_York", clock.now())
    start = dt.datetime(2026, 10, 9, 0, 30, tzinfo=SOFIA)  # 17:30 the day before in New York
    event_id = await add_event(
        ports, clock, sofia_talk(start=start, end=start + dt.timedelta(hours=1))
    )
    text = (await dialogue.handle(Incoming(USER, callback=f"ev:{event_id}"))).replies[0].text
    assert "Thu 8 October 2026, 17:30–18:30, New York (UTC-04:00)" in text, text
    assert "Fri 9 October, 00:30–01:30" in text, text


# --- place and organiser in the reader's language ------------------------------------------


async def test_place_and_organiser_are_shown_in_the_users_language(
    dialogue: Dialogue, ports: EventPorts, clock: FixedClock, catalog: Catalog
) -> None:
    samples = read_events(
        ROOT / "data" / "events" / "samples.yml",
        list(catalog.languages),
        clock.now(),
        catalog.regions,
    )
    saved = [await ports.events.save(sample, None, clock.now()) for sample in samples.importable]
    plovdiv = next(e for e in saved if e.draft.key == "sample-passwords-mfa-plovdiv")
    card = await dialogue.handle(
        Incoming(USER, callback=f"ev:{plovdiv.id}", platform_language="bg")
    )
    text = card.replies[0].text
    assert catalog.text("bg", "events.place", place="Пловдив") in text, text
    organiser = "Доброволци за дигитални умения – Пловдив (примерно)"
    assert catalog.text("bg", "events.organiser", organiser=organiser) in text, text
    card = await dialogue.handle(Incoming(OTHER, callback=f"ev:{plovdiv.id}"))
    text = card.replies[0].text
    assert catalog.text("en", "events.place", place="Plovdiv") in text, text
    organiser = "Plovdiv digital skills volunteers (sample)"
    assert catalog.text("en", "events.organiser", organiser=organiser) in text, text


def test_a_language_without_its_own_place_falls_back_to_the_default_language() -> None:
    texts = {
        "en": EventText("Talk", "About", place="Sofia, Central library", organiser="CERT BG"),
        "bg": EventText("Лекция", "За"),
        "de": EventText("Vortrag", "Über", place="Sofia, Zentralbibliothek"),
    }
    talk = draft(texts=texts, place="София, Централна библиотека", organiser="CERT")
    assert talk.place_in("de", "en") == "Sofia, Zentralbibliothek"
    assert talk.place_in("bg", "en") == "Sofia, Central library"
    assert talk.organiser_in("de", "en") == "CERT BG"
    # Without one in the default language either: the text given for every language.
    assert talk.place_in("bg", "fr") == "София, Централна библиотека"
    assert talk.organiser_in("bg", "fr") == "CERT"
