"""Signing in without passwords of our own: a one-time link (`ecsm-bot dashboard link`), the
Telegram Mini App (initData signed with the bot token) and the Telegram Login Widget; signing
out; the page's language."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.web.app import DashboardConfig, DashboardServices, render
from bot.web.auth import sign_in, sign_out
from bot.web.security import AttemptLimit, checked_form
from bot.web.telegram_proofs import ProofRefused, verify_login_widget, verify_mini_app

# Our own query parameter on the Login Widget's return address (not signed by Telegram).
NEXT = "next"


def _local(path: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another site's)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"


def _services(request: Request) -> DashboardServices:
    services: DashboardServices = request.app.state.services
    return services


def _config(request: Request) -> DashboardConfig:
    config: DashboardConfig = request.app.state.config
    return config


def _attempt(request: Request) -> None:
    limit: AttemptLimit = request.app.state.attempts
    client = request.client.host if request.client else "?"
    limit.hit(client, _services(request).clock.now())


def _language(request: Request, code: str | None) -> str:
    """The page's language for someone signing in: chosen here before, else Telegram's."""
    services = _services(request)
    chosen = request.session.get("lang")
    if isinstance(chosen, str) and chosen in services.texts.strings:
        return chosen
    return services.catalog.language_for_platform_code(code) or services.texts.default_language


async def login(request: Request) -> Response:
    config = _config(request)
    widget = bool(config.bot_username and config.https)
    request.state.widget = widget
    return render(
        request,
        "login.html",
        widget=widget,
        bot_username=config.bot_username,
        auth_url=f"{config.address}/login/telegram?{NEXT}={_local(request.query_params.get(NEXT))}",
        refused=request.query_params.get("refused"),
    )


async def link_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    return render(request, "link.html", token=token[:100])


async def link_sign_in(request: Request) -> Response:
    _attempt(request)
    form = await checked_form(request)
    services = _services(request)
    now = services.clock.now()
    staff = await services.sign_in.redeem_link(form.get("token", ""), _language(request, None), now)
    if staff is None:
        return render(request, "link.html", 403, token="", refused=True)
    sign_in(request, staff, now)
    return RedirectResponse("/", status_code=303)


async def webapp_page(request: Request) -> Response:
    return render(request, "webapp.html")


async def webapp_sign_in(request: Request) -> Response:
    _attempt(request)
    form = await checked_form(request)
    services, config = _services(request), _config(request)
    now = services.clock.now()
    if config.bot_token is None:
        return render(request, "webapp.html", 403, refused=True)
    try:
        user = verify_mini_app(
            form.get("init_data", ""), config.bot_token, now, config.proof_max_age
        )
    except ProofRefused:
        return render(request, "webapp.html", 403, refused=True)
    staff = await services.sign_in.signed_in(
        user.user_id, "mini_app", _language(request, user.language_code), now
    )
    if staff is None:
        return render(request, "webapp.html", 403, refused=True)
    sign_in(request, staff, now)
    return RedirectResponse("/", status_code=303)


async def widget_sign_in(request: Request) -> Response:
    _attempt(request)
    services, config = _services(request), _config(request)
    now = services.clock.now()
    fields = {k: v for k, v in request.query_params.items() if k != NEXT}
    if config.bot_token is None:
        return RedirectResponse("/login?refused=1", status_code=303)
    try:
        user = verify_login_widget(fields, config.bot_token, now, config.proof_max_age)
    except ProofRefused:
        return RedirectResponse("/login?refused=1", status_code=303)
    staff = await services.sign_in.signed_in(
        user.user_id, "login_widget", _language(request, None), now
    )
    if staff is None:
        return RedirectResponse("/login?refused=1", status_code=303)
    sign_in(request, staff, now)
    return RedirectResponse(_local(request.query_params.get(NEXT)), status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


async def language(request: Request) -> Response:
    form = await checked_form(request)
    if form.get("lang") in _services(request).texts.strings:
        request.session["lang"] = form["lang"]
    return RedirectResponse(_local(form.get(NEXT)), status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login, methods=["GET"]),
        Route("/login/link", link_page, methods=["GET"]),
        Route("/login/link", link_sign_in, methods=["POST"]),
        Route("/login/telegram", widget_sign_in, methods=["GET"]),
        Route("/webapp", webapp_page, methods=["GET"]),
        Route("/webapp", webapp_sign_in, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/language", language, methods=["POST"]),
    ]
