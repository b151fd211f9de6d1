"""/audit: the audit log, newest first, filtered by who, what and when, a page at a time."""

from __future__ import annotations

import datetime as dt
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.ports import AuditQuery
from bot.web.app import DashboardServices, render
from bot.web.auth import require

PAGE = 50


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


async def audit(request: Request) -> Response:
    require(request, "audit.view")
    services: DashboardServices = request.app.state.services
    params = request.query_params
    since, until = _day(params.get("since")), _day(params.get("until"))
    page = max(1, _int(params.get("page")) or 1)
    query = AuditQuery(
        actor=_int(params.get("actor")),
        action=params.get("action") or None,
        since=dt.datetime.combine(since, dt.time(), dt.UTC) if since else None,
        # the last day chosen counts whole
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        if until
        else None,
        offset=(page - 1) * PAGE,
        limit=PAGE,
    )
    entries, total = await services.audit_log.search(query)
    pages = max(1, -(-total // PAGE))
    filters = {
        "actor": query.actor or "",
        "action": query.action or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    return render(
        request,
        "audit.html",
        entries=[
            (e, json.dumps(e.details, ensure_ascii=False, sort_keys=True, default=str))
            for e in entries
        ],
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        actions=await services.audit_log.actions(),
        query_of=lambda n: "&".join([f"{k}={v}" for k, v in filters.items() if v] + [f"page={n}"]),
    )


def routes() -> list[BaseRoute]:
    return [Route("/audit", audit, methods=["GET"])]
