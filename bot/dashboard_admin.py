"""`ecsm-bot dashboard link` and `ecsm-bot organisers ...`: the organisers' dashboard from the
server's command line. A one-time sign-in link for an organiser (it expires in
DASHBOARD_LINK_MINUTES and works once; only its hash is stored), and the organisers with their
roles and regions, changed through the same service as the dashboard and the chat, audited."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.bootstrap import open_storage, organiser_service, sign_in_service
from bot.core.ports import SystemClock
from bot.core.roles import NotAllowed, clean_regions, parse_role
from bot.services.events import Origin
from bot.settings import Settings, dashboard_address


def _origin() -> Origin:
    return Origin(None, {"via": "cli", "os_user": getpass.getuser()})


async def sign_in_link(
    settings: Settings, user_id: int, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    clock = SystemClock()
    async with open_storage(settings) as storage:
        organisers = organiser_service(settings, storage.catalog, storage.database, clock)
        sign_in = sign_in_service(settings, organisers, storage.database)
        try:
            token = await sign_in.issue_link(user_id, clock.now())
        except NotAllowed:
            err.write(
                f"{user_id} is not an organiser: add them first "
                f"(ecsm-bot organisers add {user_id}) or list them in ORGANISER_IDS\n"
            )
            return 1
    out.write(f"{dashboard_address(settings)}/login/link?token={token}\n")
    err.write(f"Works once, for {settings.dashboard_link_minutes} minutes.\n")
    return 0


async def organisers(
    settings: Settings,
    action: str,
    user_id: int | None,
    role: str,
    regions: Sequence[str],
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    clock = SystemClock()
    async with open_storage(settings) as storage:
        service = organiser_service(settings, storage.catalog, storage.database, clock)
        if action == "list" or user_id is None:
            for admin in sorted(service.admins):
                out.write(f"{admin}\tadmin\t(ORGANISER_IDS)\n")
            for person in await service.everyone():
                out.write(f"{person.user_id}\t{person.role}\t{','.join(sorted(person.regions))}\n")
            return 0
        if action == "remove":
            removed = await service.remove(user_id, _origin(), clock.now())
            out.write(f"{user_id} removed\n" if removed else f"{user_id} was not an organiser\n")
            return 0
        try:
            chosen = parse_role(role)
            scope = clean_regions(regions, storage.catalog.regions)
        except ValueError as exc:
            err.write(f"{exc} (regions: see data/regions.yml)\n")
            return 2
        changed = await service.set(user_id, chosen, scope, _origin(), clock.now())
        where = ", ".join(sorted(scope)) or "every region"
        out.write(f"{user_id}: {chosen}, {where}\n" if changed else f"{user_id} already was that\n")
    return 0
