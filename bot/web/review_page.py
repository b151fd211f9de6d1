"""/review: the NLU's review queue (issue 18): what the bot did not understand, answered with
little confidence, or answered when a user said it did not help, grouped by similarity per
language with the topic the model guessed and its confidence. An organiser assigns a topic,
marks "needs a new topic" or dismisses, for one message or a whole group, through
NluReviewService (as `ecsm-bot nlu review --decide` does; each decision audited). Viewers see
the queue and change nothing. The messages belong to no region."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.nlu_review import DECISIONS
from bot.services.nlu_review import NluReviewService, UnknownTopic
from bot.web.app import DashboardServices, origin, page_language, render
from bot.web.auth import require
from bot.web.security import checked_form

# Messages listed one by one under a group (the rest are counted).
SHOWN = 20


def _service(request: Request) -> tuple[DashboardServices, NluReviewService]:
    services: DashboardServices = request.app.state.services
    if services.review is None:
        raise HTTPException(404)
    return services, services.review


def _language(request: Request, value: str | None) -> str | None:
    services: DashboardServices = request.app.state.services
    if not value:
        return None
    if value not in services.catalog.languages:
        raise HTTPException(400)
    return value


async def review(request: Request) -> Response:
    require(request, "nlu.view")
    services, service = _service(request)
    language = _language(request, request.query_params.get("language"))
    lang = page_language(request)
    catalog = services.catalog
    topics = sorted(
        (
            (topic, answer.title if (answer := catalog.answer(lang, topic)) else topic)
            for topic in service.topics
        ),
        key=lambda pair: pair[1].casefold(),
    )
    done = request.query_params.get("done", "")
    problem = request.query_params.get("problem")
    groups = await service.queue(language)
    return render(
        request,
        "review.html",
        groups=groups,
        shown=SHOWN,
        messages=sum(g.count for g in groups),
        language=language or "",
        topics=topics,
        done=int(done) if done.isdigit() else None,
        problem=problem if problem in ("unknown_topic", "nothing_chosen") else None,
    )


async def decide(request: Request) -> Response:
    require(request, "nlu.review")
    services, service = _service(request)
    fields = await checked_form(request)
    language = _language(request, fields.get("language"))
    back = f"/review?language={language}" if language else "/review?language="
    decision = next((d for d in DECISIONS if d == fields.get("decision")), None)
    ids = [int(part) for part in fields.get("ids", "").split(",") if part.strip().isdigit()]
    if decision is None or not ids:
        return RedirectResponse(f"{back}&problem=nothing_chosen", status_code=303)
    topic = fields.get("topic") or None
    try:
        changed = await service.decide(ids, decision, topic, origin(request), services.clock.now())
    except UnknownTopic:
        return RedirectResponse(f"{back}&problem=unknown_topic", status_code=303)
    return RedirectResponse(f"{back}&done={changed}", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/review", review, methods=["GET"]),
        Route("/review/decide", decide, methods=["POST"]),
    ]
