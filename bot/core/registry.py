"""The dialogue's routing table. Every feature declares what it answers: its commands, the intents
(NLU topics) it serves, the callback actions of its buttons and the flows whose typed input it
reads. The dialogue routes from this table alone, and building it fails at start-up when two
features claim the same name, so a new feature cannot silently shadow (or be shadowed by) another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from bot.core.callbacks import Callback
from bot.core.messages import Outcome, Reply, Turn
from bot.core.ports import PendingInput
from bot.core.understanding import Reading

CommandHandler = Callable[[Turn], Awaitable[Outcome]]
IntentHandler = Callable[[Turn, Reading], Awaitable[Outcome]]
# None: the button is stale or forged (its data does not fit what the feature offers).
CallbackHandler = Callable[[Turn, Callback], Awaitable["Outcome | None"]]
# None: the text is not an answer to the question asked, and is read as a new message.
FlowHandler = Callable[[Turn, PendingInput, str], Awaitable["Outcome | None"]]
H = TypeVar("H")


@dataclass(frozen=True)
class Screening:
    """What a feature that reads received messages made of a free text or an image: the whole
    answer (`outcome`: it was a message the user received, and it was checked), or, when it
    cannot tell a received message from the user's own question, a one-tap offer (`offer`)
    sent after the usual answer."""

    outcome: Outcome | None = None
    offer: Reply | None = None


# Offered every free text and image that no pending question took, before the NLU reads it.
ScreenHandler = Callable[[Turn], Awaitable[Screening]]


@dataclass(frozen=True)
class Registration:
    """What one feature answers. `actions` are the first part of its buttons' callback data
    (`callbacks.encode(action, ...)`); every one of them is handed to `callback`."""

    feature: str
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    intents: Mapping[str, IntentHandler] = field(default_factory=dict)
    actions: frozenset[str] = frozenset()
    callback: CallbackHandler | None = None
    flows: Mapping[str, FlowHandler] = field(default_factory=dict)
    screen: ScreenHandler | None = None

    def __post_init__(self) -> None:
        if self.actions and self.callback is None:
            raise ValueError(f"feature {self.feature!r} declares actions but no callback")


class Collision(ValueError):
    """Two features claim the same command, intent, callback action or flow."""

    def __init__(self, kind: str, name: str, first: str, second: str) -> None:
        super().__init__(f"{kind} {name!r} is claimed by both {first!r} and {second!r}")
        self.kind, self.name, self.features = kind, name, (first, second)


def ignoring_reading(handler: CommandHandler) -> IntentHandler:
    """An intent served by a command handler that needs nothing the NLU found."""

    async def serve(turn: Turn, reading: Reading) -> Outcome:
        return await handler(turn)

    return serve


class Registry:
    def __init__(self, registrations: Iterable[Registration]) -> None:
        self.features: tuple[str, ...] = ()
        self.commands: dict[str, CommandHandler] = {}
        self.intents: dict[str, IntentHandler] = {}
        self.callbacks: dict[str, CallbackHandler] = {}
        self.flows: dict[str, FlowHandler] = {}
        self.screens: tuple[ScreenHandler, ...] = ()
        self._owners: dict[tuple[str, str], str] = {}
        for reg in registrations:
            if reg.feature in self.features:
                raise Collision("feature", reg.feature, reg.feature, reg.feature)
            self.features = (*self.features, reg.feature)
            commands = {name.lower(): handler for name, handler in reg.commands.items()}
            self._claim("command", commands, self.commands, reg.feature)
            self._claim("intent", reg.intents, self.intents, reg.feature)
            self._claim("flow", reg.flows, self.flows, reg.feature)
            if reg.screen is not None:
                self.screens = (*self.screens, reg.screen)
            if reg.callback is not None:
                actions = dict.fromkeys(reg.actions, reg.callback)
                self._claim("callback action", actions, self.callbacks, reg.feature)

    def _claim(self, kind: str, declared: Mapping[str, H], table: dict[str, H], by: str) -> None:
        for name, handler in declared.items():
            if (kind, name) in self._owners:
                raise Collision(kind, name, self._owners[(kind, name)], by)
            self._owners[(kind, name)] = by
            table[name] = handler

    def owner(self, kind: str, name: str) -> str | None:
        """The feature that claimed `name` ("command", "intent", "callback action", "flow")."""
        return self._owners.get((kind, name))
