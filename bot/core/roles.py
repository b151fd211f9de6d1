"""Who may do what: the organisers' roles and their regions, the one rule every entrypoint (the
chat commands, the dashboard, the services under both) asks.

- admin: everything, and manages organisers and roles (the ORGANISER_IDS setting, or stored);
- organiser: events, announcements, scam alerts, the figures and the audit log; when scoped to
  regions (data/regions.yml keys), only what belongs to one of them: its events, announcements
  to its users, its figures. Something that belongs to no region (an announcement to
  everyone, the national figures) is then out of reach;
- viewer: reads the figures, events and announcements, changes nothing (scoped the same way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "organiser", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "organiser", "viewer")

_EVERYONE: frozenset[Role] = frozenset(ROLES)
_WORKERS: frozenset[Role] = frozenset({"admin", "organiser"})
_ADMINS: frozenset[Role] = frozenset({"admin"})

# Every permission an entrypoint asks for, and the roles that hold it. Asking for one not listed
# is a programming error (KeyError), never a silent refusal.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "stats.view": _EVERYONE,
    "events.view": _EVERYONE,
    "announcements.view": _EVERYONE,
    "alerts.view": _EVERYONE,
    "events.edit": _WORKERS,
    "announcements.send": _WORKERS,
    "alerts.edit": _WORKERS,
    "unanswered.view": _WORKERS,
    "audit.view": _WORKERS,
    # The NLU's review queue and models (issue 18): viewers see, organisers label and retrain,
    # only admins promote a model that scores worse than the running one.
    "nlu.view": _EVERYONE,
    "nlu.review": _WORKERS,
    "nlu.train": _WORKERS,
    "nlu.override": _ADMINS,
    "organisers.manage": _ADMINS,
}


@dataclass(frozen=True, slots=True)
class Staff:
    """Someone who may use the organisers' tools. `regions` empty means every region."""

    user_id: int
    role: Role
    regions: frozenset[str] = frozenset()
    language: str = "en"

    @property
    def scoped(self) -> bool:
        return self.role != "admin" and bool(self.regions)


class NotAllowed(Exception):
    """The staff member's role or regions do not cover the action (a refusal, not a fault)."""

    def __init__(self, permission: str, region: str | None = None) -> None:
        super().__init__(permission, region)
        self.permission = permission
        self.region = region


def allowed(staff: Staff | None, permission: str, region: str | None = None) -> bool:
    """Whether `staff` may do `permission` on something of `region` (None: of no one region,
    such as everyone's announcement or the national figures)."""
    holders = PERMISSIONS[permission]
    if staff is None or staff.role not in holders:
        return False
    if not staff.scoped:
        return True
    return region is not None and region in staff.regions


def check(staff: Staff | None, permission: str, region: str | None = None) -> None:
    """`allowed`, raising NotAllowed when not."""
    if not allowed(staff, permission, region):
        raise NotAllowed(permission, region)


def permissions_of(staff: Staff) -> frozenset[str]:
    """The permissions the role holds at all (in some region, for a scoped one)."""
    return frozenset(name for name, holders in PERMISSIONS.items() if staff.role in holders)


def parse_role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise ValueError(f"unknown role {value!r}: one of {', '.join(ROLES)}")


def clean_regions(regions: Iterable[str], known: Iterable[str]) -> frozenset[str]:
    """The region keys, checked against the known ones (ValueError naming the unknown)."""
    wanted = frozenset(r.strip() for r in regions if r.strip())
    unknown = sorted(wanted - frozenset(known))
    if unknown:
        raise ValueError(f"unknown regions: {', '.join(unknown)}")
    return wanted
