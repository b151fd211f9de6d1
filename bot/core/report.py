"""A finished checklist as a document: every text already in the reader's language, so that the
renderer only lays it out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReportItem:
    status: str  # "done", "not_yet", "na" or "unanswered"
    status_label: str
    title: str


@dataclass(frozen=True, slots=True)
class ReportStep:
    title: str
    how: str


@dataclass(frozen=True, slots=True)
class ChecklistReport:
    title: str
    subtitle: str
    score_line: str
    band: str
    comparison: str | None
    scope: str | None
    steps_title: str
    steps: tuple[ReportStep, ...]
    items_title: str
    items: tuple[ReportItem, ...]
    sources_title: str
    sources: tuple[tuple[str, str], ...]  # (title, url)
    footer: str
