"""/alerts: scam alerts (known scam waves) with how many checked messages matched each; write
one (published at once, or kept as a draft), edit, publish a draft, retire one, through
AlertService, as /newalert in the chat and `ecsm-bot alerts` do (each action audited).

An alert belongs to no region: organisers scoped to regions read and write none (the rule of
bot/core/roles.py); viewers read them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.alerts import AlertContent, AlertDraft, AlertProblem, AlertStatus, ScamAlert
from bot.services.alerts import AlertRefused, AlertService
from bot.web.app import DashboardServices, origin, page_language, render
from bot.web.auth import require
from bot.web.security import checked_form

PARTS = ("title", "looks_like", "advice", "examples")
# Examples are typed one after another with an empty line between them (a scam text may run
# over several lines, rarely over an empty one).
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _service(request: Request) -> tuple[DashboardServices, AlertService]:
    services: DashboardServices = request.app.state.services
    if services.alerts is None:
        raise HTTPException(404)
    return services, services.alerts


async def list_alerts(request: Request) -> Response:
    require(request, "alerts.view")
    _, service = _service(request)
    done = request.query_params.get("done")
    return render(
        request,
        "alerts.html",
        alerts=await service.find(),
        done=done if done in ("saved", "published", "retired") else None,
    )


def _fields_of(alert: ScamAlert) -> dict[str, str]:
    fields = {"default_language": alert.default_language, "source_url": alert.source_url}
    for lang, content in alert.content.items():
        fields[f"title_{lang}"] = content.title
        fields[f"looks_like_{lang}"] = content.looks_like
        fields[f"advice_{lang}"] = content.advice
        fields[f"examples_{lang}"] = "\n\n".join(content.examples)
    return fields


def _draft(fields: Mapping[str, str], languages: list[str]) -> AlertDraft:
    """The alert the form describes; a language left wholly empty is no part of it."""
    content: dict[str, AlertContent] = {}
    for lang in languages:
        values = {part: fields.get(f"{part}_{lang}", "").replace("\r\n", "\n") for part in PARTS}
        if not any(value.strip() for value in values.values()):
            continue
        examples = tuple(
            example.strip() for example in _BLANK_LINE.split(values["examples"]) if example.strip()
        )
        content[lang] = AlertContent(
            values["title"].strip(),
            values["looks_like"].strip(),
            values["advice"].strip(),
            examples,
        )
    return AlertDraft(
        content, fields.get("default_language", ""), fields.get("source_url", "").strip()
    )


def _problem_text(request: Request, problem: AlertProblem) -> str:
    services: DashboardServices = request.app.state.services
    lang = page_language(request)
    texts, catalog = services.texts, services.catalog
    language = (
        catalog.languages[problem.language].native_name
        if (problem.language in catalog.languages)
        else problem.language
    )
    part = texts.text(lang, f"alerts.field.{problem.field}") if problem.field else ""
    return texts.text(lang, f"alerts.problem.{problem.code}", field=part, language=language)


def _form(
    request: Request,
    fields: dict[str, str],
    alert: ScamAlert | None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    services, _ = _service(request)
    catalog = services.catalog
    return render(
        request,
        "alert_form.html",
        status_code,
        alert=alert,
        fields=fields,
        problem=problem,
        alert_languages=[(code, meta.native_name) for code, meta in catalog.languages.items()],
    )


async def _alert(request: Request) -> ScamAlert:
    _, service = _service(request)
    alert = await service.get(int(request.path_params["alert_id"]))
    if alert is None:
        raise HTTPException(404)
    return alert


async def new_alert(request: Request) -> Response:
    require(request, "alerts.edit")
    services, _ = _service(request)
    return _form(request, {"default_language": services.catalog.default_language}, None)


async def edit_alert(request: Request) -> Response:
    require(request, "alerts.edit")
    alert = await _alert(request)
    if alert.status is AlertStatus.RETIRED:
        raise HTTPException(404)
    return _form(request, _fields_of(alert), alert)


async def save_alert(request: Request) -> Response:
    require(request, "alerts.edit")
    services, service = _service(request)
    fields = await checked_form(request)
    alert = await _alert(request) if "alert_id" in request.path_params else None
    draft = _draft(fields, list(services.catalog.languages))
    now = services.clock.now()
    try:
        if alert is None:
            publish = fields.get("publish") == "yes"
            await service.create(draft, origin(request), now, publish=publish)
            done = "published" if publish else "saved"
        else:
            if await service.edit(alert.id, draft, origin(request), now) is None:
                raise HTTPException(404)
            done = "saved"
    except AlertRefused as refused:
        return _form(request, fields, alert, _problem_text(request, refused.problem), 400)
    return RedirectResponse(f"/alerts?done={done}", status_code=303)


async def publish_alert(request: Request) -> Response:
    require(request, "alerts.edit")
    services, service = _service(request)
    await checked_form(request)
    alert = await _alert(request)
    await service.publish(alert.id, origin(request), services.clock.now())
    return RedirectResponse("/alerts?done=published", status_code=303)


async def retire_alert(request: Request) -> Response:
    require(request, "alerts.edit")
    services, service = _service(request)
    await checked_form(request)
    alert = await _alert(request)
    await service.retire(alert.id, origin(request), services.clock.now())
    return RedirectResponse("/alerts?done=retired", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/alerts", list_alerts, methods=["GET"]),
        Route("/alerts/new", new_alert, methods=["GET"]),
        Route("/alerts/new", save_alert, methods=["POST"]),
        Route("/alerts/{alert_id:int}", edit_alert, methods=["GET"]),
        Route("/alerts/{alert_id:int}", save_alert, methods=["POST"]),
        Route("/alerts/{alert_id:int}/publish", publish_alert, methods=["POST"]),
        Route("/alerts/{alert_id:int}/retire", retire_alert, methods=["POST"]),
    ]
