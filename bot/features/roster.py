"""The features the bot runs, built once by bot/bootstrap.py and handed to the dialogue, which
routes to them from their registrations (bot/core/registry.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.registry import Registration
from bot.features.alerts import AlertsFeature
from bot.features.checklists import ChecklistFeature
from bot.features.conversation import ConversationFeature
from bot.features.event_list import EventsFeature
from bot.features.linkcheck import LinkFeature
from bot.features.organising import OrganiserFeature
from bot.features.privacy import PrivacyFeature
from bot.features.quiz import QuizFeature
from bot.features.scamcheck import ScamCheckFeature
from bot.features.subscribe import TipsFeature
from bot.services.events import EventService


@dataclass
class Features:
    # The dialogue itself asks these two: the conversation answers what reaches no feature,
    # the link check reads every message before the NLU does.
    conversation: ConversationFeature
    links: LinkFeature
    tips: TipsFeature
    checklists: ChecklistFeature
    quiz: QuizFeature
    privacy: PrivacyFeature
    events: EventsFeature
    organising: OrganiserFeature
    # Saving an event is one use case, whoever saves: the chat, the command line, start-up.
    event_service: EventService
    # "Is this a scam?": screens every free text and image before the NLU reads it.
    scam_check: ScamCheckFeature

    # Scam alerts (issue 16): None when bootstrap was given no alert stores.
    alerts: AlertsFeature | None = None

    def registrations(self) -> tuple[Registration, ...]:
        return (
            self.conversation.registration(),
            self.tips.registration(),
            self.checklists.registration(),
            self.quiz.registration(),
            self.links.registration(),
            self.scam_check.registration(),
            self.privacy.registration(),
            self.events.registration(),
            self.organising.registration(),
            *((self.alerts.registration(),) if self.alerts is not None else ()),
        )
