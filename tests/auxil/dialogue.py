"""The dialogue on test doubles, built by bootstrap's own builder (bot.bootstrap.build_dialogue),
so a test's dialogue has the features the bot runs, wired the way the bot wires them."""

from __future__ import annotations

import random

from bot.bootstrap import DialoguePorts, build_dialogue
from bot.content.catalog import Catalog
from bot.core.flood import FloodControl, FloodGate, FloodLimit
from bot.core.ports import NLU, Clock
from bot.core.understanding import Thresholds
from bot.dialogue.router import Dialogue
from bot.dialogue.understanding import Understanding
from bot.settings import Settings
from tests.auxil.environment import ORGANISER_ID, ROOT

# The NLU thresholds the dialogue tests' readings are written against.
THRESHOLDS = Thresholds(confidence=0.45, margin=0.1)


def dialogue_settings() -> Settings:
    return Settings(
        _env_file=None,
        DATA_DIR=str(ROOT / "data"),
        # As DEFAULT_TIMEZONE is by default; users who chose a zone of their own read theirs.
        DEFAULT_TIMEZONE="Europe/Sofia",
        ORGANISER_IDS=str(ORGANISER_ID),
    )


def dialogue_on(
    catalog: Catalog,
    ports: DialoguePorts,
    nlu: NLU,
    clock: Clock,
    *,
    flood: FloodControl | None = None,
    rng: random.Random | None = None,
) -> Dialogue:
    """A dialogue on `ports`; a second one on the same ports is the bot after a restart."""
    return build_dialogue(
        dialogue_settings(),
        catalog,
        ports,
        Understanding(nlu, THRESHOLDS),
        clock,
        # The clock stands still in these tests; flood control has its own test.
        flood=flood or FloodGate(FloodLimit(messages=100_000)),
        rng=rng,
    )
