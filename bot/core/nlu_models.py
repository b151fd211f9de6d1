"""The NLU's model versions (issue 18): what a candidate is, and the ports the model service
reaches the outside through (training and parsing with Rasa, loading a model into the running
server, the versions' storage)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.core.nlu_review import LabelledExample
from bot.core.ports import Parse

Status = Literal["training", "trained", "failed", "promoted", "retired"]
# A short progress line for the dashboard and the command line ("training", "scoring 120/800").
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ModelVersion:
    id: int
    input_hash: str
    path: str
    status: Status
    created_by: int | None
    created_at: dt.datetime
    examples: int  # reviewed examples trained on
    train_seconds: float | None = None
    scores: dict[str, Any] | None = None
    promoted_by: int | None = None
    promoted_at: dt.datetime | None = None
    override_reason: str | None = None
    active: bool = False


@dataclass(frozen=True, slots=True)
class TrainedModel:
    path: str
    input_hash: str
    seconds: float


@dataclass(frozen=True, slots=True)
class HeldOut:
    text: str
    intent: str
    language: str


class ModelLab(Protocol):
    """Trains candidates and parses held-out examples with a model (Rasa)."""

    def held_out(self, extra: Sequence[LabelledExample]) -> list[HeldOut]:
        """The repository's held-out examples of every language, plus `extra`."""
        ...

    async def train(self, examples: Sequence[LabelledExample], progress: Progress) -> TrainedModel:
        """A model from the repository's data plus `examples`, kept under the work directory."""
        ...

    async def parse_with(
        self, model: str | None, texts: Sequence[str], progress: Progress
    ) -> list[Parse]:
        """Parse `texts` with the model file `model`, or with the running server (None)."""
        ...


class ModelServer(Protocol):
    async def load(self, path: str) -> None:
        """Make the running NLU server(s) answer with this model (no parse refused meanwhile)."""
        ...

    def shipped(self) -> str:
        """The model the server started with (the repository's)."""
        ...


class ModelVersions(Protocol):
    async def add(
        self,
        input_hash: str,
        path: str,
        status: Status,
        actor: int | None,
        examples: int,
        now: dt.datetime,
    ) -> int: ...

    async def update(self, version_id: int, **fields: Any) -> None: ...

    async def get(self, version_id: int) -> ModelVersion | None: ...

    async def all(self) -> list[ModelVersion]:
        """Newest first."""
        ...

    async def activate(
        self, version_id: int, actor: int | None, now: dt.datetime, reason: str | None
    ) -> None:
        """This one is served now; the one served before is retired (and can be restored)."""
        ...
