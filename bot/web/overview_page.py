"""/ (the overview) and /overview.csv: the figures of a period and a region, from the daily
rollups (bot.services.figures), as SVG charts with their numbers beside them, or as CSV.

Regions: an admin (or anyone not scoped) sees every region, or the one chosen; a regional
organiser or viewer sees their regions together, or one of them, and is refused any other."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io

from babel.dates import format_date
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.roles import Staff
from bot.services.figures import Overview, Period, PeriodError, csv_rows
from bot.web.app import DashboardServices, page_language, render
from bot.web.auth import require
from bot.web.svg import bars, columns, share

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30


def _period(request: Request, today: dt.date) -> tuple[Period, int | None]:
    params = request.query_params
    since, until = params.get("since"), params.get("until")
    if since or until:
        try:
            first = dt.date.fromisoformat(since) if since else today - dt.timedelta(days=29)
            last = dt.date.fromisoformat(until) if until else today
            return Period.checked(first, last), None
        except (ValueError, PeriodError) as exc:
            raise HTTPException(400) from exc
    days = params.get("days", "")
    chosen = int(days) if days.isdigit() and int(days) in PRESETS else DEFAULT_DAYS
    return Period.last(chosen, today), chosen


def _regions(request: Request) -> tuple[Staff, str, frozenset[str]]:
    """Who asks, the region chosen ("" for all they may see) and the regions to count."""
    region = request.query_params.get("region", "")
    if region:
        return require(request, "stats.view", region), region, frozenset({region})
    staff = require(request, "stats.view", next(iter(sorted(_scope(request))), None))
    return staff, "", staff.regions if staff.scoped else frozenset()


def _scope(request: Request) -> frozenset[str]:
    staff = getattr(request.state, "staff", None)
    return staff.regions if staff is not None and staff.scoped else frozenset()


async def _figures(request: Request) -> tuple[Overview, Staff, str, int | None]:
    services: DashboardServices = request.app.state.services
    if services.figures is None:
        raise HTTPException(404)
    staff, region, regions = _regions(request)
    today = services.clock.now().date()
    period, preset = _period(request, today)
    return await services.figures.overview(period, regions), staff, region, preset


async def overview(request: Request) -> Response:
    figures, staff, region, preset = await _figures(request)
    services: DashboardServices = request.app.state.services
    lang = page_language(request)
    catalog, texts = services.catalog, services.texts

    def t(key: str, **values: object) -> str:
        return texts.text(lang, key, **values)

    # Cached for this page: the same numbers and days come back in every chart and table, and
    # each babel call parses its locale again (most of the 90-day page's time went there).
    @functools.cache
    def number(value: int) -> str:
        return catalog.number(lang, value)

    def region_label(key: str) -> str:
        return catalog.region_name(lang, key) if key else t("overview.no_region")

    @functools.cache
    def day(value: dt.date) -> str:
        return format_date(value, "d MMM", locale=lang)

    def language_name(code: str) -> str:
        known = catalog.languages.get(code)
        return known.native_name if known else code

    def ranked(values: dict[str, int], name: object = str) -> list[tuple[str, int]]:
        label = name if callable(name) else str
        return [(label(k), v) for k, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))]

    kinds = [
        (t(f"overview.kind.{kind}"), figures.messages_by_kind.get(kind, 0))
        for kind in ("answered", "not_understood", "nlu_unavailable")
    ]
    other = [
        (t(f"overview.kind.{kind}"), figures.messages_by_kind.get(kind, 0))
        for kind in ("command", "button", "other")
    ]
    deliveries = [(t(f"overview.delivery.{k}"), v) for k, v in figures.deliveries.items()]
    checklist_names = {c.id: c.title for c in catalog.checklists[lang].values()}
    charts = {
        "new_users": columns("nu", t("overview.new_users"), figures.new_users_by_day, number, day),
        "messages": columns("ms", t("overview.messages"), figures.messages_by_day, number, day),
        "understood": share("un", t("overview.understood"), kinds, number),
        "users_by_language": bars(
            "ul",
            t("overview.users_by_language"),
            ranked(figures.users_by_language, language_name),
            number,
        ),
        "users_by_region": bars(
            "ur",
            t("overview.users_by_region"),
            ranked(figures.users_by_region, region_label),
            number,
        ),
        "subscribers_by_audience": bars(
            "sa",
            t("overview.subscribers_by_audience"),
            ranked(figures.subscribers_by_audience, lambda k: t(f"overview.audience.{k}")),
            number,
        ),
        "subscribers_by_language": bars(
            "sl",
            t("overview.subscribers_by_language"),
            ranked(figures.subscribers_by_language, language_name),
            number,
        ),
        "subscribers_by_region": bars(
            "sr",
            t("overview.subscribers_by_region"),
            ranked(figures.subscribers_by_region, region_label),
            number,
        ),
        "deliveries": share("dl", t("overview.deliveries"), deliveries, number),
    }
    share_answered = figures.answered_share
    return render(
        request,
        "overview.html",
        figures=figures,
        charts=charts,
        kinds=kinds + other,
        deliveries=deliveries,
        checklists=[
            (checklist_names.get(key, key), done) for key, done in figures.checklists.items()
        ],
        answered=None if share_answered is None else f"{100 * share_answered:.0f}%",
        day=day,
        region=region,
        regions=[
            (key, name)
            for key, name in catalog.region_names(lang)
            if not staff.scoped or key in staff.regions
        ],
        all_regions=not staff.scoped,
        presets=PRESETS,
        preset=preset,
        since=figures.period.since.isoformat(),
        until=figures.period.until.isoformat(),
        period_text=t(
            "overview.period",
            since=format_date(figures.period.since, "medium", locale=lang),
            until=format_date(figures.period.until, "medium", locale=lang),
        ),
        csv_query=request.url.query,
    )


async def overview_csv(request: Request) -> Response:
    figures, _, region, _ = await _figures(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("figure", "key", "value"))
    writer.writerows(csv_rows(figures))
    name = f"ecsm-figures-{figures.period.since}-{figures.period.until}"
    name += f"-{region}.csv" if region else ".csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/", overview, methods=["GET"]),
        Route("/overview.csv", overview_csv, methods=["GET"]),
    ]
