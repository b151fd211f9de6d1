"""The dashboard's Starlette app: `create_dashboard(services, settings)`.

Pages are server-rendered Jinja2 templates (bot/web/templates, `base.html` with the navigation
and a block `content`) with vendored static files (bot/web/static: no CDN, works offline, no
inline script). Every page reads its words from data/ui/web/<lang>.yml (`t(key)` in templates).
Every POST carries the session's CSRF token (`csrf_input()` in a form, `checked_form(request)`
in the handler). Handlers call the services only: `require(request, "events.edit", region)`
first, then the use case with `origin(request)` as who did it (the audit log)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.content.catalog import Catalog
from bot.content.web import WebTexts
from bot.core.ports import AuditLog, Clock
from bot.core.roles import NotAllowed, Staff, allowed, permissions_of
from bot.services.alerts import AlertService
from bot.services.events import Origin
from bot.services.figures import FiguresService
from bot.services.nlu_models import NluModelService
from bot.services.nlu_review import NluReviewService
from bot.services.organisers import OrganiserService
from bot.services.sign_in import SignInService
from bot.services.unanswered_groups import UnansweredGroups
from bot.settings import Settings, dashboard_address
from bot.web.auth import NotSignedIn, current_staff
from bot.web.security import (
    AttemptLimit,
    CsrfRefused,
    SecurityHeaders,
    TooManyAttempts,
    csrf_token,
)
from bot.web.tools import AnnouncementTools, EventTools

log = logging.getLogger("bot.web")
HERE = Path(__file__).parent
SESSION_COOKIE = "ecsm_dashboard"


@dataclass
class DashboardServices:
    """What the dashboard runs on, built by bot/bootstrap.py (tests build it with fakes)."""

    catalog: Catalog
    texts: WebTexts
    clock: Clock
    organisers: OrganiserService
    sign_in: SignInService
    audit_log: AuditLog
    # The pages' content (issue 17, bot/web/*_page.py); None leaves a page out (404).
    figures: FiguresService | None = None
    unanswered: UnansweredGroups | None = None
    unanswered_days: int = 30
    events: EventTools | None = None
    announcements: AnnouncementTools | None = None
    alerts: AlertService | None = None
    # The NLU's review queue and its model versions (issue 18, /review and /models).
    review: NluReviewService | None = None
    models: NluModelService | None = None


@dataclass(frozen=True)
class DashboardConfig:
    """The settings the pages need, read once."""

    address: str
    bot_token: str | None
    bot_username: str | None
    proof_max_age: dt.timedelta
    https: bool


def session_secret(settings: Settings) -> str:
    if settings.dashboard_secret is not None:
        return settings.dashboard_secret.get_secret_value()
    if settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value().encode()
        return hmac.new(token, b"ecsm-dashboard-session", hashlib.sha256).hexdigest()
    return secrets.token_hex(32)  # one process, sessions end with it


def origin(request: Request, **details: Any) -> Origin:
    """Who does what the request asks, for the services and the audit log."""
    staff = current_staff(request)
    return Origin(staff.user_id, {"via": "dashboard", **details}, staff=staff)


def page_language(request: Request) -> str:
    services: DashboardServices = request.app.state.services
    lang = request.session.get("lang")
    if isinstance(lang, str) and lang in services.texts.strings:
        return lang
    staff = getattr(request.state, "staff", None)
    return staff.language if staff else services.catalog.default_language


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page: the template with `t`, `lang`, `staff`, `can` and `csrf_input` at hand."""
    app_state = request.app.state
    services: DashboardServices = app_state.services
    lang = page_language(request)
    staff: Staff | None = getattr(request.state, "staff", None)
    token = csrf_token(request.session)

    def t(key: str, **values: object) -> str:
        return services.texts.text(lang, key, **values)

    def can(permission: str, region: str | None = None) -> bool:
        if staff is None:
            return False
        if region is None and staff.scoped:  # a scoped role holds it for its regions
            return permission in permissions_of(staff)
        return allowed(staff, permission, region)

    def csrf_input() -> Markup:
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)

    templates: Jinja2Templates = app_state.templates
    return templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": lang,
            "languages": [
                (code, services.catalog.languages[code].native_name)
                for code in services.texts.languages
            ],
            "staff": staff,
            "can": can,
            "csrf_input": csrf_input,
            "csrf_token": token,
            "number": lambda value: services.catalog.number(lang, int(value)),
            "region_name": lambda key: services.catalog.region_name(lang, key),
            "region_names": lambda keys: ", ".join(
                services.catalog.region_name(lang, key) for key in sorted(keys)
            ),
            **context,
        },
        status_code=status_code,
    )


class StaffLookup:
    """Reads who the session belongs to, once per request, into request.state.staff."""

    def __init__(self, app: ASGIApp, services: DashboardServices) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            session = scope.get("session") or {}
            user = session.get("user")
            staff = None
            if isinstance(user, int):
                lang = session.get("lang")
                language = lang if isinstance(lang, str) else self.services.texts.default_language
                staff = await self.services.organisers.staff_of(user, language)
            scope.setdefault("state", {})["staff"] = staff
        await self.app(scope, receive, send)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if request.method == "GET":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, "refused.html", 401, reason="signed_out")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return render(request, "refused.html", 403, reason="not_allowed")


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return render(request, "refused.html", 403, reason="csrf")


async def _too_many(request: Request, exc: Exception) -> Response:
    response = render(request, "refused.html", 429, reason="too_many")
    response.headers["retry-after"] = "300"
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    reason = "not_found" if exc.status_code == 404 else "bad_request"
    return render(request, "refused.html", exc.status_code, reason=reason)


Handler = Callable[[Request, Exception], Awaitable[Response]]


def create_dashboard(
    services: DashboardServices, settings: Settings, bot_username: str | None = None
) -> Starlette:
    """The app; `bot_username` (from Telegram's getMe) shows the Login Widget on https."""
    from bot.web import (
        alerts_page,
        announcements_page,
        audit_page,
        events_page,
        models_page,
        organisers_page,
        overview_page,
        review_page,
        sign_in_pages,
        unanswered_page,
    )

    address = dashboard_address(settings)
    config = DashboardConfig(
        address=address,
        bot_token=(
            settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
        ),
        bot_username=bot_username,
        proof_max_age=dt.timedelta(minutes=settings.dashboard_proof_max_age_minutes),
        https=address.startswith("https://"),
    )
    routes: list[BaseRoute] = [
        *sign_in_pages.routes(),
        *audit_page.routes(),
        *organisers_page.routes(),
        *overview_page.routes(),
        *unanswered_page.routes(),
        *events_page.routes(),
        *announcements_page.routes(),
        *alerts_page.routes(),
        *review_page.routes(),
        *models_page.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    handlers: dict[Any, Handler] = {
        NotSignedIn: _not_signed_in,
        NotAllowed: _not_allowed,
        CsrfRefused: _csrf_refused,
        TooManyAttempts: _too_many,
        HTTPException: _http_error,
    }
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(settings),
                session_cookie=SESSION_COOKIE,
                max_age=settings.dashboard_session_minutes * 60,
                # Telegram's web clients open the Mini App in a frame of another site, where
                # only SameSite=None cookies go (Secure, so over https only); CSRF tokens
                # guard the forms either way.
                same_site="none" if config.https else "lax",
                https_only=config.https,
            ),
            Middleware(StaffLookup, services=services),
        ],
        exception_handlers=handlers,
    )
    app.state.services = services
    app.state.config = config
    app.state.templates = Jinja2Templates(env=environment)
    app.state.attempts = AttemptLimit(settings.dashboard_sign_in_attempts)
    return app
