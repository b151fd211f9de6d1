"""/models: the NLU's model versions (issue 18), newest first, each with its input hash, who
trained and promoted it and when, and its scores per language beside the running model's (on
the same held-out examples, in the same run) with the confusion pairs that changed. Organisers
retrain (in the background: static/models.js polls the progress), promote a candidate that is
no worse beyond the tolerance, or restore the model served before; only an admin promotes a
worse one, with a reason. Everything through NluModelService, as `ecsm-bot nlu` does."""

from __future__ import annotations

import re

from babel.numbers import format_decimal
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.nlu_models import ModelVersion
from bot.services.nlu_models import NluModelService, PromotionRefused, TrainingBusy
from bot.web.app import DashboardServices, origin, page_language, render
from bot.web.auth import require
from bot.web.security import checked_form

# Changed confusion pairs shown per language (the largest changes first).
PAIRS = 8
_NUMBERS = re.compile(r"\d+")


def _service(request: Request) -> tuple[DashboardServices, NluModelService]:
    services: DashboardServices = request.app.state.services
    if services.models is None:
        raise HTTPException(404)
    return services, services.models


def progress_text(request: Request, version: ModelVersion, line: str | None) -> str:
    """The service's progress line ("training (40 s)", "scoring 50/800") in the page's words."""
    services: DashboardServices = request.app.state.services
    lang = page_language(request)
    numbers = _NUMBERS.findall(line or "")
    stages: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("preparing", "preparing", {}),
        ("the same inputs", "cached", {}),
        ("training", "training", {"seconds": numbers[0] if numbers else "…"}),
        ("scoring the running", "scoring_running", {}),
        ("scoring the candidate", "scoring_candidate", {}),
        ("scoring", "scoring", dict(zip(("done", "total"), numbers, strict=False))),
        ("done", "done", {}),
        ("failed", "failed", {}),
    )
    for prefix, key, values in stages:
        if line is not None and line.startswith(prefix):
            if key == "scoring" and len(values) < 2:
                key, values = "scoring_running", {}
            return services.texts.text(lang, f"models.progress.{key}", **values)
    if version.status == "training":
        return services.texts.text(lang, "models.progress.waiting")
    return services.texts.text(lang, f"models.status.{version.status}")


async def models(request: Request) -> Response:
    require(request, "nlu.view")
    services, service = _service(request)
    locale = services.catalog.languages[page_language(request)].babel_locale
    versions = await service.all()
    training = next((v for v in versions if v.status == "training"), None)
    done = request.query_params.get("done")
    problem = request.query_params.get("problem")
    return render(
        request,
        "models.html",
        versions=versions,
        training=training,
        training_text=(
            progress_text(request, training, service.progress(training.id)) if training else None
        ),
        active=next((v for v in versions if v.active), None),
        pairs=PAIRS,
        tolerance=format_decimal(service.tolerance, locale=locale),
        done=done if done in ("retraining", "promoted", "restored") else None,
        problem=(
            problem if problem in ("busy", "worse", "not_trained", "nothing_to_restore") else None
        ),
    )


async def progress(request: Request) -> Response:
    """The training's progress as a fragment the page's script swaps in."""
    require(request, "nlu.view")
    _, service = _service(request)
    version = await service.versions.get(int(request.path_params["version_id"]))
    if version is None:
        raise HTTPException(404)
    return render(
        request,
        "model_progress.html",
        version=version,
        training_text=progress_text(request, version, service.progress(version.id)),
    )


async def retrain(request: Request) -> Response:
    require(request, "nlu.train")
    services, service = _service(request)
    await checked_form(request)
    try:
        await service.retrain(origin(request), services.clock.now())
    except TrainingBusy:
        return RedirectResponse("/models?problem=busy", status_code=303)
    return RedirectResponse("/models?done=retraining", status_code=303)


async def promote(request: Request) -> Response:
    require(request, "nlu.train")
    services, service = _service(request)
    fields = await checked_form(request)
    version_id = int(request.path_params["version_id"])
    reason = fields.get("reason", "").strip() or None
    try:
        await service.promote(version_id, origin(request), services.clock.now(), reason)
    except PromotionRefused as refused:
        return RedirectResponse(f"/models?problem={refused.reason}", status_code=303)
    return RedirectResponse("/models?done=promoted", status_code=303)


async def restore(request: Request) -> Response:
    require(request, "nlu.train")
    services, service = _service(request)
    await checked_form(request)
    try:
        await service.restore(origin(request), services.clock.now())
    except PromotionRefused as refused:
        return RedirectResponse(f"/models?problem={refused.reason}", status_code=303)
    return RedirectResponse("/models?done=restored", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/models", models, methods=["GET"]),
        Route("/models/retrain", retrain, methods=["POST"]),
        Route("/models/restore", restore, methods=["POST"]),
        Route("/models/{version_id:int}/progress", progress, methods=["GET"]),
        Route("/models/{version_id:int}/promote", promote, methods=["POST"]),
    ]
