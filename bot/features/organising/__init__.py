"""The organisers' tools, one object per job: the event wizard, the announcement wizard,
organiser admin and the figures, sharing one Kit; `feature` composes them, routes to them and
checks who may."""

from bot.features.organising.announce_steps import ANNOUNCE_FLOW
from bot.features.organising.event_steps import EVENT_FLOW
from bot.features.organising.feature import COMMANDS, OrganiserFeature
from bot.features.organising.stats import CHART_LABELS, STATS_DAYS

__all__ = [
    "ANNOUNCE_FLOW",
    "CHART_LABELS",
    "COMMANDS",
    "EVENT_FLOW",
    "STATS_DAYS",
    "OrganiserFeature",
]
