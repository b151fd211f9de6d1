"""/events: the campaign's upcoming events; create, edit and cancel one, and import a file
(YAML, CSV or iCalendar), through EventService, the chat wizard's and the command line's use
case: a changed or cancelled event moves its reminders and tells everyone who asked for one.

Regions: everyone sees the events of the regions their role covers; a regional organiser
creates, edits, cancels and imports only its regions' events (the service refuses the rest
too); a viewer changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.events import EVENT_AUDIENCES, EventDraft, EventText, Problem, check_draft
from bot.core.ports import EventFilter, EventRecord
from bot.core.roles import Staff, allowed
from bot.events.import_words import error_lines
from bot.events.importer import KINDS, parse_events
from bot.web.app import DashboardServices, origin, page_language, render
from bot.web.auth import require
from bot.web.forms import form_time, local_time, problem_text, regions_for, when_text
from bot.web.security import checked_form
from bot.web.tools import EventTools

LIST_LIMIT = 500  # the campaign has about a hundred events
IMPORT_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Row:
    """One event of the list, as the page shows it."""

    record: EventRecord
    title: str
    when: str
    place: str
    editable: bool


def _tools(request: Request) -> tuple[DashboardServices, EventTools]:
    services: DashboardServices = request.app.state.services
    if services.events is None:
        raise HTTPException(404)
    return services, services.events


async def _list_page(
    request: Request,
    status_code: int = 200,
    import_errors: list[str] | None = None,
    done: str | None = None,
) -> Response:
    staff = require(request, "events.view", _first_region(request))
    services, tools = _tools(request)
    lang = page_language(request)
    catalog = services.catalog
    region = request.query_params.get("region", "")
    if region and not allowed(staff, "events.view", region):
        require(request, "events.view", region)
    found, _ = await tools.events.upcoming(
        services.clock.now(), EventFilter(region=region or None), 0, LIST_LIMIT
    )
    rows = [
        Row(
            event,
            event.draft.text_in(lang, catalog.default_language).title,
            when_text(catalog, lang, event.draft.start, ZoneInfo(event.draft.timezone)),
            event.draft.place_in(lang, catalog.default_language) or event.draft.online_url or "",
            allowed(staff, "events.edit", event.draft.region),
        )
        for event in found
        if allowed(staff, "events.view", event.draft.region)
    ]
    return render(
        request,
        "events.html",
        status_code,
        rows=rows,
        region=region,
        regions=regions_for(staff, "events.view", catalog),
        can_create=bool(regions_for(staff, "events.edit", catalog)),
        import_errors=import_errors or [],
        kinds=", ".join(KINDS),
        done=done,
        imported=_count(request, "count"),
        told=_count(request, "told"),
    )


def _first_region(request: Request) -> str | None:
    staff: Staff | None = getattr(request.state, "staff", None)
    return min(staff.regions) if staff is not None and staff.scoped else None


async def list_events(request: Request) -> Response:
    done = request.query_params.get("done")
    return await _list_page(request, done=done if done in DONE else None)


def _count(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else 0


DONE = ("saved", "cancelled", "imported")


# --- the form ---------------------------------------------------------------------------------


def _fields_of(draft: EventDraft) -> dict[str, str]:
    zone = ZoneInfo(draft.timezone)
    fields = {
        "timezone": draft.timezone,
        "start": form_time(draft.start, zone),
        "end": form_time(draft.end, zone),
        "place": draft.place or "",
        "online_url": draft.online_url or "",
        "region": draft.region,
        "country": draft.country,
        "audience": draft.audience,
        "organiser": draft.organiser,
        "link": draft.link or "",
    }
    for lang, text in draft.texts.items():
        fields[f"title_{lang}"], fields[f"description_{lang}"] = text.title, text.description
    return fields


def _draft(
    fields: dict[str, str], key: str, languages: list[str]
) -> tuple[EventDraft, list[Problem]]:
    """The event the form describes, and what could not be read of it (check_draft finds
    the rest)."""
    problems: list[Problem] = []
    zone_name = fields.get("timezone", "").strip()
    try:
        zone = ZoneInfo(zone_name)
    except (ValueError, OSError, KeyError):
        zone = ZoneInfo("UTC")
    times: list[dt.datetime] = []
    for name in ("start", "end"):
        value = local_time(fields.get(name, ""), zone)
        if value is None:
            problems.append(Problem("bad_time"))
            value = dt.datetime(2000, 1, 1, tzinfo=zone)
        times.append(value)
    draft = EventDraft(
        key=key,
        texts={
            lang: EventText(
                fields.get(f"title_{lang}", "").strip(),
                fields.get(f"description_{lang}", "").strip(),
            )
            for lang in languages
            if fields.get(f"title_{lang}", "").strip()
        },
        start=times[0],
        end=times[1],
        timezone=zone_name,
        region=fields.get("region", "").strip(),
        country=fields.get("country", "").strip().upper(),
        audience=fields.get("audience", "").strip(),
        organiser=fields.get("organiser", "").strip(),
        place=fields.get("place", "").strip() or None,
        online_url=fields.get("online_url", "").strip() or None,
        link=fields.get("link", "").strip() or None,
    )
    return draft, problems[:1]


def _form(
    request: Request,
    staff: Staff,
    fields: dict[str, str],
    event: EventRecord | None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    services, _ = _tools(request)
    catalog = services.catalog
    return render(
        request,
        "event_form.html",
        status_code,
        event=event,
        fields=fields,
        problems=problems or [],
        regions=regions_for(staff, "events.edit", catalog),
        zones=catalog.timezones,
        audiences=EVENT_AUDIENCES,
        event_languages=[(code, meta.native_name) for code, meta in catalog.languages.items()],
    )


async def _event(request: Request) -> EventRecord:
    _, tools = _tools(request)
    event = await tools.events.get(int(request.path_params["event_id"]))
    if event is None or not event.active:
        raise HTTPException(404)
    return event


async def new_event(request: Request) -> Response:
    staff = require(request, "events.edit", _first_region(request))
    services, _ = _tools(request)
    defaults = {
        "timezone": services.catalog.timezones[0] if services.catalog.timezones else "UTC",
        "country": "BG",
        "audience": "all",
        "region": next(iter(regions_for(staff, "events.edit", services.catalog)), ""),
    }
    return _form(request, staff, defaults, None)


async def edit_event(request: Request) -> Response:
    event = await _event(request)
    staff = require(request, "events.edit", event.draft.region)
    return _form(request, staff, _fields_of(event.draft), event)


async def save_event(request: Request) -> Response:
    services, tools = _tools(request)
    fields = await checked_form(request)
    event = await _event(request) if "event_id" in request.path_params else None
    # Editing needs the event's own region, whatever region the form now gives it.
    staff = require(request, "events.edit", event.draft.region if event else _first_region(request))
    now = services.clock.now()
    key = event.draft.key if event else f"web-{now:%Y%m%d%H%M%S}-{staff.user_id}"
    catalog = services.catalog
    lang = page_language(request)
    draft, problems = _draft(fields, key, list(catalog.languages))
    problems += check_draft(draft, now, catalog.languages, catalog.regions)
    if problems:
        words = list(dict.fromkeys(problem_text(catalog, lang, p) for p in problems))
        return _form(request, staff, fields, event, words, 400)
    require(request, "events.edit", draft.region)
    await tools.service.save(draft, origin(request), now)
    return RedirectResponse("/events?done=saved", status_code=303)


async def cancel_event(request: Request) -> Response:
    services, tools = _tools(request)
    await checked_form(request)
    event = await _event(request)
    require(request, "events.edit", event.draft.region)
    await tools.service.cancel(event.id, origin(request), services.clock.now())
    return RedirectResponse("/events?done=cancelled", status_code=303)


# --- import -----------------------------------------------------------------------------------


async def import_events(request: Request) -> Response:
    staff = require(request, "events.edit", _first_region(request))
    services, tools = _tools(request)
    await checked_form(request)
    form = await request.form()
    upload = form.get("file")
    lang = page_language(request)
    texts = services.texts
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _list_page(request, 400, [texts.text(lang, "events.import.no_file")])
    kind = KINDS.get("." + upload.filename.rsplit(".", 1)[-1].lower())
    content = await upload.read(IMPORT_MAX_BYTES + 1)
    if kind is None:
        message = texts.text(lang, "events.import.bad_kind", kinds=", ".join(KINDS))
        return await _list_page(request, 400, [message])
    if len(content) > IMPORT_MAX_BYTES:
        return await _list_page(request, 400, [texts.text(lang, "events.import.too_big")])
    catalog, now = services.catalog, services.clock.now()
    result = parse_events(content, kind, list(catalog.languages), now, catalog.regions)
    # Each bad row with its reasons in the page's language (the command line words them alike).
    errors = error_lines(catalog, lang, result.errors)
    if result.ok:
        for draft in result.drafts:
            # A row that would move another region's event (the same key, past or cancelled
            # too) is refused as well; the service refuses it again (NotAllowed) in any case.
            stored = await tools.events.by_key(draft.key)
            for region in {draft.region, stored.draft.region if stored else draft.region}:
                if not allowed(staff, "events.edit", region):
                    errors.append(
                        texts.text(
                            lang,
                            "events.import.not_your_region",
                            key=draft.key,
                            region=catalog.region_name(lang, region),
                        )
                    )
    if errors:
        return await _list_page(request, 400, errors)
    who = replace(origin(request, file=upload.filename[:100]), action="event_imported")
    saved = await tools.service.save_all(result.drafts, who, now)
    told = sum(s.told for s in saved)
    return RedirectResponse(
        f"/events?done=imported&count={len(saved)}&told={told}", status_code=303
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/events", list_events, methods=["GET"]),
        Route("/events/new", new_event, methods=["GET"]),
        Route("/events/new", save_event, methods=["POST"]),
        Route("/events/import", import_events, methods=["POST"]),
        Route("/events/{event_id:int}", edit_event, methods=["GET"]),
        Route("/events/{event_id:int}", save_event, methods=["POST"]),
        Route("/events/{event_id:int}/cancel", cancel_event, methods=["POST"]),
    ]
