"""/announcements: the composer (the text and an optional link button, checked by the chat's own
rules in bot.core.announcements; the audience with its size; send now or at a time), a live
preview as Telegram shows it (static/announce.js asks /announcements/preview as the organiser
types: no inline script), a confirmation step, then the announcement's delivery progress
(polled) with a cancel button, and the history with the counts. Scheduling and cancelling go
through AnnouncementService, as /announce in the chat and `ecsm-bot broadcast` do.

A regional organiser announces only to its regions' users (a region must be chosen); the
service refuses anything else too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.announcements import BUTTON_LABEL_MAX, check_text, parse_button
from bot.core.messages import Button, Reply
from bot.core.outbox_refs import announcement_ref
from bot.core.outbox_status import WAITING, Status
from bot.core.payloads import reply_of
from bot.core.ports import Audience, BroadcastRecord, BroadcastStatus, EventFilter
from bot.core.roles import Staff, allowed
from bot.web.app import DashboardServices, origin, page_language, render
from bot.web.auth import require
from bot.web.forms import form_time, local_time, regions_for, when_text
from bot.web.security import checked_form
from bot.web.telegram_preview import telegram_html
from bot.web.tools import AnnouncementTools

# The daily-tips audiences an announcement may narrow to (bot.core.ports.Audience.segment).
SEGMENTS = ("all", "citizen", "business")
HISTORY = 20
# How often the progress page asks again while messages are being queued or sent (ms).
POLL_MS = 2000


@dataclass(frozen=True)
class Composed:
    """What the composer's form says, read and checked."""

    fields: dict[str, str]
    message: Reply
    audience: Audience
    send_at: dt.datetime | None  # None: now
    problems: list[str]


@dataclass(frozen=True)
class Progress:
    record: BroadcastRecord
    text: str
    audience: str
    when: str
    queued: int
    waiting: int
    sent: int
    failed: int
    blocked: int
    cancelled: int
    cancellable: bool
    done: bool


def _tools(request: Request) -> tuple[DashboardServices, AnnouncementTools]:
    services: DashboardServices = request.app.state.services
    if services.announcements is None:
        raise HTTPException(404)
    return services, services.announcements


def _first_region(request: Request) -> str | None:
    staff: Staff | None = getattr(request.state, "staff", None)
    return min(staff.regions) if staff is not None and staff.scoped else None


def _compose(request: Request, staff: Staff, fields: dict[str, str]) -> Composed:
    services, tools = _tools(request)
    catalog, texts, lang = services.catalog, services.texts, page_language(request)
    problems: list[str] = []
    text = fields.get("text", "").replace("\r\n", "\n").strip()
    problem = check_text(text)
    if problem is not None:
        problems.append(
            texts.text(
                lang,
                f"announcements.problem.{problem.code}",
                reason=problem.detail,
                length=catalog.number(lang, problem.length),
                limit=catalog.number(lang, problem.limit),
            )
        )
    label, url = fields.get("button_label", "").strip(), fields.get("button_url", "").strip()
    button: Button | None = None
    if label or url:
        button = parse_button(f"{label}|{url}")
        if button is None:
            problems.append(texts.text(lang, "announcements.problem.button", most=BUTTON_LABEL_MAX))
    segment = fields.get("segment", "all")
    language = fields.get("language", "")
    region = fields.get("region", "")
    event = fields.get("event", "")
    if (
        segment not in SEGMENTS
        or (language and language not in catalog.languages)
        or (region and region not in catalog.regions)
        or (event and not event.isdigit())
    ):
        raise HTTPException(400)
    audience = Audience(
        segment=segment,
        language=language or None,
        region=region or None,
        event_id=int(event) if event else None,
    )
    if not allowed(staff, "announcements.send", audience.region):
        problems.append(texts.text(lang, "announcements.problem.region"))
    send_at = None
    if fields.get("when") == "later":
        send_at = local_time(fields.get("send_at", ""), tools.zone)
        if send_at is None or send_at <= services.clock.now():
            problems.append(texts.text(lang, "announcements.problem.when"))
    message = Reply(text, buttons=((button,),) if button else ())
    return Composed(fields, message, audience, send_at, problems)


def _audience_label(request: Request, audience: Audience) -> str:
    services, _ = _tools(request)
    catalog, texts, lang = services.catalog, services.texts, page_language(request)
    parts = [texts.text(lang, f"announcements.segment.{audience.segment}")]
    if audience.language:
        parts.append(catalog.languages[audience.language].native_name)
    if audience.region:
        parts.append(catalog.region_name(lang, audience.region))
    if audience.event_id is not None:
        parts.append(texts.text(lang, "announcements.event_n", id=audience.event_id))
    return ", ".join(parts)


async def _composer(
    request: Request,
    staff: Staff,
    fields: dict[str, str],
    status_code: int = 200,
    problems: list[str] | None = None,
) -> Response:
    services, tools = _tools(request)
    lang, catalog = page_language(request), services.catalog
    now = services.clock.now()
    events, _ = await tools.events.upcoming(now, EventFilter(), 0, 200)
    shown = [
        record
        for record in await tools.broadcasts.recent(HISTORY * 5)
        if allowed(staff, "announcements.view", record.audience.region)
    ][:HISTORY]
    # The counts of the whole history in one statement, not one per announcement.
    counts = await tools.deliveries.counts_by_ref([announcement_ref(r.id) for r in shown])
    history = [
        _progress_of(request, record, counts.get(announcement_ref(record.id), {}))
        for record in shown
    ]
    return render(
        request,
        "announcements.html",
        status_code,
        fields=fields,
        problems=problems or [],
        can_send=bool(regions_for(staff, "announcements.send", catalog)),
        segments=SEGMENTS,
        regions=regions_for(staff, "announcements.send", catalog),
        any_region=allowed(staff, "announcements.send", None),
        events=[
            (e.id, e.draft.text_in(lang, catalog.default_language).title)
            for e in events
            if allowed(staff, "announcements.send", e.draft.region)
        ],
        zone=tools.zone.key,
        history=history,
        label_max=BUTTON_LABEL_MAX,
        earliest=form_time(now, tools.zone),
    )


async def announcements(request: Request) -> Response:
    staff = require(request, "announcements.view", _first_region(request))
    fields = {"segment": "all", "when": "now", "region": _first_region(request) or ""}
    return await _composer(request, staff, fields)


async def preview(request: Request) -> Response:
    """The preview, the audience's size and what is wrong, as a fragment for the composer."""
    staff = require(request, "announcements.send", _first_region(request))
    _, tools = _tools(request)
    composed = _compose(request, staff, await checked_form(request))
    size = None
    if allowed(staff, "announcements.send", composed.audience.region):
        size = await tools.sizes.size(composed.audience, tools.audience_size)
    return render(
        request,
        "announcement_preview.html",
        text=telegram_html(composed.message.text),
        buttons=composed.message.buttons,
        problems=composed.problems,
        size=size.count if size else None,
        estimated=bool(size and size.estimated),
        audience=_audience_label(request, composed.audience),
    )


async def confirm(request: Request) -> Response:
    staff = require(request, "announcements.send", _first_region(request))
    services, tools = _tools(request)
    composed = _compose(request, staff, await checked_form(request))
    if composed.problems:
        return await _composer(request, staff, composed.fields, 400, composed.problems)
    # As the preview counted it a moment ago: the fan-out reaches whoever is in it when it runs.
    size = await tools.sizes.size(composed.audience, tools.audience_size)
    lang = page_language(request)
    return render(
        request,
        "announcement_confirm.html",
        fields=composed.fields,
        text=telegram_html(composed.message.text),
        buttons=composed.message.buttons,
        size=size.count,
        estimated=size.estimated,
        audience=_audience_label(request, composed.audience),
        when=(
            when_text(services.catalog, lang, composed.send_at, tools.zone)
            if composed.send_at
            else None
        ),
    )


async def send(request: Request) -> Response:
    staff = require(request, "announcements.send", _first_region(request))
    services, tools = _tools(request)
    fields = await checked_form(request)
    composed = _compose(request, staff, fields)
    if composed.problems or fields.get("confirmed") != "yes":
        # "Change" on the confirmation, or something wrong: back to the composer, filled in.
        code = 400 if composed.problems else 200
        return await _composer(request, staff, composed.fields, code, composed.problems)
    now = services.clock.now()
    record = await tools.service.schedule(
        composed.message,
        composed.audience,
        composed.send_at or now,
        origin(request),
        now,
    )
    return RedirectResponse(f"/announcements/{record.id}", status_code=303)


async def _record(request: Request, permission: str) -> BroadcastRecord:
    _, tools = _tools(request)
    record = await tools.broadcasts.get(int(request.path_params["broadcast_id"]))
    if record is None:
        raise HTTPException(404)
    require(request, permission, record.audience.region)
    return record


async def _progress(request: Request, record: BroadcastRecord) -> Progress:
    _, tools = _tools(request)
    counts = await tools.deliveries.counts(announcement_ref(record.id))
    return _progress_of(request, record, counts)


def _progress_of(request: Request, record: BroadcastRecord, counts: dict[str, int]) -> Progress:
    services, tools = _tools(request)
    lang = page_language(request)
    waiting = sum(counts.get(status, 0) for status in WAITING)
    finished = record.status == BroadcastStatus.CANCELLED or (
        record.status == BroadcastStatus.QUEUED and not waiting
    )
    return Progress(
        record=record,
        text=reply_of(record.payload).text,
        audience=_audience_label(request, record.audience),
        when=when_text(services.catalog, lang, record.send_at, tools.zone),
        queued=record.queued,
        waiting=waiting,
        sent=counts.get(Status.SENT, 0),
        failed=counts.get(Status.FAILED, 0) + counts.get(Status.UNCERTAIN, 0),
        blocked=counts.get(Status.BLOCKED, 0),
        cancelled=counts.get(Status.CANCELLED, 0) + counts.get(Status.EXPIRED, 0),
        cancellable=not finished,
        done=finished,
    )


async def status(request: Request) -> Response:
    record = await _record(request, "announcements.view")
    progress = await _progress(request, record)
    staff = require(request, "announcements.view", record.audience.region)
    message = reply_of(record.payload)
    return render(
        request,
        "announcement_status.html",
        progress=progress,
        text=telegram_html(message.text),
        buttons=message.buttons,
        can_cancel=allowed(staff, "announcements.send", record.audience.region),
        poll=POLL_MS,
    )


async def progress_fragment(request: Request) -> Response:
    record = await _record(request, "announcements.view")
    return render(request, "announcement_progress.html", progress=await _progress(request, record))


async def cancel(request: Request) -> Response:
    services, tools = _tools(request)
    await checked_form(request)
    record = await _record(request, "announcements.send")
    await tools.service.cancel(record.id, origin(request), services.clock.now())
    return RedirectResponse(f"/announcements/{record.id}", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/announcements", announcements, methods=["GET"]),
        Route("/announcements", send, methods=["POST"]),
        Route("/announcements/preview", preview, methods=["POST"]),
        Route("/announcements/confirm", confirm, methods=["POST"]),
        Route("/announcements/{broadcast_id:int}", status, methods=["GET"]),
        Route("/announcements/{broadcast_id:int}/progress", progress_fragment, methods=["GET"]),
        Route("/announcements/{broadcast_id:int}/cancel", cancel, methods=["POST"]),
    ]
