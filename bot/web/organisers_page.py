"""/organisers (admins only): who the organisers are, with their role and regions; add one,
change a role or regions, remove one. Every change goes through OrganiserService (audited)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.roles import ROLES, clean_regions, parse_role
from bot.web.app import DashboardServices, origin, render
from bot.web.auth import require
from bot.web.security import checked_form


def _services(request: Request) -> DashboardServices:
    services: DashboardServices = request.app.state.services
    return services


async def _page(request: Request, status_code: int = 200, problem: str | None = None) -> Response:
    services = _services(request)
    return render(
        request,
        "organisers.html",
        status_code,
        admins=sorted(services.organisers.admins),
        people=await services.organisers.everyone(),
        roles=ROLES,
        regions=list(services.catalog.regions),
        problem=problem,
    )


async def organisers(request: Request) -> Response:
    require(request, "organisers.manage")
    return await _page(request)


async def save(request: Request) -> Response:
    require(request, "organisers.manage")
    services = _services(request)
    form = await request.form()
    fields = await checked_form(request)
    user_id = fields.get("user_id", "").strip()
    try:
        role = parse_role(fields.get("role", ""))
        regions = clean_regions(
            [r for r in form.getlist("regions") if isinstance(r, str)], services.catalog.regions
        )
    except ValueError:
        return await _page(request, 400, "bad_role")
    if not (user_id.isdigit() and 0 < int(user_id) < 2**53):
        return await _page(request, 400, "bad_user")
    if int(user_id) in services.organisers.admins:
        return await _page(request, 400, "settings_admin")
    await services.organisers.set(
        int(user_id), role, regions, origin(request), services.clock.now()
    )
    return RedirectResponse("/organisers", status_code=303)


async def remove(request: Request) -> Response:
    require(request, "organisers.manage")
    await checked_form(request)
    services = _services(request)
    user_id = int(request.path_params["user_id"])
    await services.organisers.remove(user_id, origin(request), services.clock.now())
    return RedirectResponse("/organisers", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/organisers", organisers, methods=["GET"]),
        Route("/organisers", save, methods=["POST"]),
        Route("/organisers/{user_id:int}/remove", remove, methods=["POST"]),
    ]
