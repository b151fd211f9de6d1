"""/unanswered: the messages the bot did not understand (scrubbed, without the sender), grouped
by similarity with their counts, most asked first (bot.services.unanswered_groups). They belong
to no region: organisers scoped to regions do not see them."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.web.app import DashboardServices, render
from bot.web.auth import require


async def unanswered(request: Request) -> Response:
    require(request, "unanswered.view")
    services: DashboardServices = request.app.state.services
    if services.unanswered is None:
        raise HTTPException(404)
    language = request.query_params.get("language") or None
    if language is not None and language not in services.catalog.languages:
        raise HTTPException(400)
    groups, messages = await services.unanswered.groups(language)
    return render(
        request,
        "unanswered.html",
        groups=groups,
        messages=messages,
        language=language or "",
        retention=services.unanswered_days,
    )


def routes() -> list[BaseRoute]:
    return [Route("/unanswered", unanswered, methods=["GET"])]
