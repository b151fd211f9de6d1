"""A host name split at its public suffix ("login.bank.example.co.uk": login, bank, co.uk): what
the link checker compares, and what the content's splitter (bot/content/domains.py) returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DomainParts:
    subdomain: str
    domain: str
    suffix: str

    @property
    def registrable(self) -> str:
        return f"{self.domain}.{self.suffix}" if self.suffix else ""


DomainSplitter = Callable[[str], DomainParts]
