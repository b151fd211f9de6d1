"""The organisers' tools, one module per job: the event wizard, the announcement wizard,
organiser admin and the figures; `feature` routes to them and checks who may."""

from bot.features.organising.base import ANNOUNCE_FLOW, EVENT_FLOW
from bot.features.organising.feature import COMMANDS, ORGANISER_ACTIONS, OrganiserFeature
from bot.features.organising.stats import CHART_LABELS, STATS_DAYS

__all__ = [
    "ANNOUNCE_FLOW",
    "CHART_LABELS",
    "COMMANDS",
    "EVENT_FLOW",
    "ORGANISER_ACTIONS",
    "STATS_DAYS",
    "OrganiserFeature",
]
