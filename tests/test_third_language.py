"""A third language is data only: every file and every per-language entry of the default
language copied to a made-up language `xx`, into a data directory of its own, and the bot built
from it exactly as it starts (bot.bootstrap.bootstrap) speaks it, with no code changed. What was
stored before the language existed (an event, a campaign theme) is shown to its speakers in the
default language."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap
from bot.content.catalog import Catalog, load_catalog
from bot.core.events import EventDraft, EventText
from bot.core.messages import Incoming, Outcome
from bot.services.events import Origin
from bot.settings import Settings
from bot.storage.campaign import SqlCampaignThemes
from bot.storage.schema import OutboxItem
from tests.auxil.environment import ROOT
from tests.fakes.core import FakeNLU, FixedClock, parse_of

XX = "xx"
USER = 4242
# The plural rules of a real locale whose categories differ from the default language's (one,
# few, many, other), so that the new language's own forms are supplied, as a translator would.
XX_LOCALE = "pl"
# Identifiers, not words: kept as they are in the copy.
NOT_TEXT = frozenset(
    {
        "url",
        "topic",
        "id",
        "key",
        "language",
        "audience",
        "theme",
        "kind",
        "when",
        "checked",
        "links",
        "detector",
    }
)
# What a text's markup holds (tags, {placeholders}, entities, addresses) is kept too.
# A line of the event list: "3. <b>title</b>".
LISTED = re.compile(r"^\d+\. <b>(.*?)</b>$", re.MULTILINE)
MARKUP = re.compile(r"(<[^>]*>|\{[^{}]*\}|&#?\w+;|https?://\S+)")


def xx_words(text: str) -> str:
    """The default language's text as the made-up language writes it: every e becomes ë, so a
    text read from the xx files is told apart from the original, at the same length."""
    parts = MARKUP.split(text)
    return "".join(p if i % 2 else p.replace("e", "ë") for i, p in enumerate(parts))


class _TextTimes(yaml.SafeLoader):
    """As bot.events.importer reads data/events/: times stay text, only true/false are flags."""


_TextTimes.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TextTimes.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def _load(path: Path) -> Any:
    loader = _TextTimes if path.parent.name == "events" else yaml.SafeLoader
    return yaml.load(path.read_text("utf-8"), Loader=loader)


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def _translated(value: Any, source: str, key: str | None = None) -> Any:
    """A per-language file's content in xx: its texts rewritten, its identifiers kept."""
    if key in NOT_TEXT:
        return XX if key == "language" and value == source else value
    if isinstance(value, dict):
        return {k: _translated(v, source, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_translated(v, source) for v in value]
    return xx_words(value) if isinstance(value, str) else value


def _with_xx_entries(value: Any, languages: frozenset[str], source: str) -> tuple[Any, int]:
    """A shared file with an xx entry beside every text given per language ({en: ..., bg: ...}),
    and how many it got."""
    if isinstance(value, dict):
        added = 0
        copy = {}
        for k, v in value.items():
            copy[k], n = _with_xx_entries(v, languages, source)
            added += n
        if languages <= copy.keys() and isinstance(copy[source], str):
            copy[XX] = xx_words(copy[source])
            added += 1
        return copy, added
    if isinstance(value, list):
        pairs = [_with_xx_entries(v, languages, source) for v in value]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    return value, 0


def _ui(path: Path, source: str) -> dict[str, Any]:
    ui = _load(path)
    strings = {}
    for key, text in ui["strings"].items():
        if isinstance(text, dict):  # a count: the forms the xx locale's rules use
            other = xx_words(text["other"])
            text = {"one": xx_words(text["one"]), "few": other, "many": other, "other": other}
        else:
            text = xx_words(text)
        strings[key] = text
    meta = {
        **ui["meta"],
        "name": "Xish",
        "native_name": "Xxish",
        "telegram_codes": [XX],
        "babel_locale": XX_LOCALE,
        "markers": ["xo"],
    }
    return {"meta": meta, "strings": strings}


def add_language(source_dir: Path, target: Path, catalog: Catalog) -> dict[str, int]:
    """data/ copied to `target` with xx added the way a translator would, as data: a copy of
    every file or folder named for the default language, and an xx entry beside every text that
    a shared file gives per language. Returns what was added, by kind."""
    shutil.copytree(source_dir, target)
    source, languages = catalog.default_language, frozenset(catalog.languages)
    added = {"files": 0, "entries": 0}
    for path in sorted(target.rglob("*")):
        if path.stem != source or path.parent.name == XX:
            continue
        xx_path = path.with_name(XX + path.suffix)
        if path.is_dir():
            xx_path.mkdir()
            for file in sorted(path.glob("*.yml")):
                _dump(xx_path / file.name, _translated(_load(file), source))
                added["files"] += 1
        elif path.parent.name == "ui":
            _dump(xx_path, _ui(path, source))
            added["files"] += 1
        else:
            _dump(xx_path, _translated(_load(path), source))
            added["files"] += 1
    for path in sorted(target.rglob("*.yml")):
        if source in path.parts or XX in path.parts or path.stem in (*languages, XX):
            continue  # a file of one language
        data, entries = _with_xx_entries(_load(path), languages, source)
        if entries:
            _dump(path, data)
            added["entries"] += entries
    return added


def buttons(outcome: Outcome) -> dict[str, str]:
    """label -> callback data of every button in the outcome."""
    return {b.label: b.data or "" for r in outcome.replies for row in r.buttons for b in row}


def texts(outcome: Outcome) -> str:
    return "\n".join(reply.text for reply in outcome.replies)


@pytest.fixture
def xx_data(tmp_path: Path, catalog: Catalog) -> Path:
    target = tmp_path / "data"
    added = add_language(ROOT / "data", target, catalog)
    # ui, answers, tips, checklists, quiz at least; campaign themes, regions, brands, events.
    assert added["files"] >= 5 + len(catalog.answers[catalog.default_language]), added
    assert added["entries"] >= len(catalog.regions) + len(catalog.campaign.themes), added
    return target


def test_the_copy_loads_with_every_language(xx_data: Path, catalog: Catalog) -> None:
    default = catalog.default_language
    xx_catalog = load_catalog(xx_data, default)
    assert set(xx_catalog.languages) == {*catalog.languages, XX}
    phishing = xx_catalog.answer(XX, "phishing")
    original = catalog.answer(default, "phishing")
    assert phishing is not None and original is not None
    assert phishing.summary == xx_words(original.summary) != original.summary
    # Its own plural forms, by its own rules: 5 is "many" in the xx locale, "other" in English.
    for forms in xx_catalog.plurals[XX].values():
        assert set(forms) == {"one", "few", "many", "other"}
    assert (xx_catalog.plural_rules[XX](5), catalog.plural_rules[default](5)) == ("many", "other")


async def test_a_conversation_in_a_third_language(
    xx_data: Path, tmp_path: Path, catalog: Catalog
) -> None:
    default = catalog.default_language
    # 08:00 in Sofia, the default time zone.
    clock = FixedClock(dt.datetime(2026, 10, 5, 5, 0, tzinfo=dt.UTC))
    nlu = FakeNLU({"xo phishing?": parse_of(("phishing", 0.95))})
    settings = Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        DATA_DIR=str(xx_data),
        DEFAULT_LANGUAGE=default,
        RASA_URL="http://127.0.0.1:1",
        FLOOD_MESSAGES=1000,
    )
    async with bootstrap(settings, nlu=nlu, clock=clock) as services:
        await services.shipped_events.load(clock.now())
        xx = services.catalog
        dialogue = services.dialogue

        async def say(**fields: Any) -> Outcome:
            return await dialogue.handle(Incoming(USER, **fields))

        # Start in a language the bot does not have (the default's), then choose xx's button.
        outcome = await say(command="start", platform_language="sw")
        assert outcome.language == default
        outcome = await say(callback=buttons(outcome)[xx.languages[XX].native_name])
        assert outcome.language == XX
        assert xx.text(XX, "language.changed", language="Xxish") in texts(outcome)

        # A question in its words, through the NLU: the answer from data/answers/xx/.
        outcome = await say(text="xo phishing?")
        answer = xx.answer(XX, "phishing")
        assert answer is not None and outcome.language == XX
        assert answer.summary in texts(outcome) and "ë" in answer.summary

        # Daily tips: subscribed with the buttons, and today's tip is queued in xx.
        outcome = await say(command="subscribe")
        assert texts(outcome) == xx.text(XX, "sub.ask_audience")
        outcome = await say(callback=buttons(outcome)[xx.text(XX, "sub.audience.citizen.button")])
        outcome = await say(callback=buttons(outcome)["12:00"])
        outcome = await say(callback=buttons(outcome)[xx.text(XX, "sub.zone.keep")])
        assert "subscribed" in outcome.events
        clock.advance(hours=4, minutes=30)  # 12:30 in Sofia
        await services.planner.enqueue_due(clock.now())
        tip = await _queued(services, "tip")
        day = clock.now().day
        tips = {t.day: t for t in xx.tips[XX]["citizen"]}
        assert tips[day].text in tip and "ë" in tips[day].text

        # Events: the shipped ones in xx, and one stored before xx existed in the default
        # language (its texts listed in another language first, as the database may return
        # them).
        older = _event_without_xx(xx, default)
        await dialogue.features.event_service.save(older, Origin(None), clock.now())
        outcome = await say(command="events")
        listed = [html.unescape(t) for t in LISTED.findall(outcome.replies[0].text)]
        assert older.texts[default].title in listed
        shipped = _shipped_titles(xx_data)
        assert len(listed) >= 3 and set(listed) <= {*shipped, older.texts[default].title}
        # Its card, a reminder asked for, and the notice of its change: all in the default's.
        card = next(d for label, d in buttons(outcome).items() if "Talk in the default" in label)
        outcome = await say(callback=card)
        assert older.texts[default].description in texts(outcome)
        remind = next(d for d in buttons(outcome).values() if d.startswith("er:"))
        outcome = await say(callback=remind)
        moved = dataclasses.replace(older, start=older.start + dt.timedelta(hours=1))
        moved = dataclasses.replace(moved, end=moved.start + dt.timedelta(hours=1))
        saved = await dialogue.features.event_service.save(moved, Origin(None), clock.now())
        assert saved.told == 1
        notice = await _queued(services, "event_notice")
        assert older.texts[default].title in notice
        assert not any(title in notice for title in _other_titles(older, default))

        # The campaign's theme set (in the database) before xx existed: the default's.
        await SqlCampaignThemes(services.sessions).set(2026, default, "zero trust", clock.now())
        info = xx.answer(XX, "ecsm_info")
        assert info is not None
        index = [s.key for s in info.sections].index("theme")
        outcome = await say(callback=f"s:ecsm_info:{index}")
        assert "zero trust" in texts(outcome)

        # A checklist step.
        outcome = await say(command="checklist")
        essentials = xx.checklists[XX]["essentials"]
        outcome = await say(callback=buttons(outcome)[essentials.button])
        assert essentials.intro[:40] in texts(outcome)
        outcome = await say(callback="cks:essentials")
        assert essentials.items[0].title in texts(outcome)
        assert "ë" in essentials.items[0].title
        outcome = await say(callback=buttons(outcome)[xx.text(XX, "checklist.answer.done")])
        assert essentials.items[1].title in texts(outcome)


async def _queued(services: Services, kind: str) -> str:
    """The text of the one message of `kind` in the outbox."""
    async with services.sessions() as session:
        rows = list(await session.scalars(select(OutboxItem).where(OutboxItem.kind == kind)))
    assert len(rows) == 1, kind
    return str(rows[0].payload["text"])


def _other_titles(event: EventDraft, default: str) -> list[str]:
    return [text.title for lang, text in event.texts.items() if lang != default]


def _shipped_titles(data: Path) -> list[str]:
    titles = []
    for path in sorted((data / "events").glob("*.yml")):
        for event in _load(path)["events"]:
            if event["title"].get(XX):
                titles.append(event["title"][XX])
    return titles


def _event_without_xx(catalog: Catalog, default: str) -> EventDraft:
    """An event in every language but xx, the default one last."""
    start = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC)
    others = [lang for lang in catalog.languages if lang not in (default, XX)]
    assert others, "needs a language besides the default one and xx"
    texts = {lang: EventText(f"Talk ({lang})", f"About phishing ({lang}).") for lang in others}
    texts[default] = EventText("Talk in the default language", "About phishing.")
    return EventDraft(
        key="talk-before-xx",
        texts=texts,
        start=start,
        end=start + dt.timedelta(hours=1),
        timezone="Europe/Sofia",
        region="sofia_city",
        country="BG",
        audience="all",
        organiser="Library",
        place="Sofia",
    )
