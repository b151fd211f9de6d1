"""Whether the real Tesseract can run the tests that need it: locally they are skipped without
it, under CI (CI=true) they fail, as for PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import pytest

from bot.ocr.tesseract import ocr_available
from tests.auxil.environment import ON_CI

MISSING = "Tesseract with its bul and eng data is not installed (README, Requirements)"


def require_tesseract() -> None:
    if not ocr_available():
        if ON_CI:
            pytest.fail(f"{MISSING}: required under CI")
        pytest.skip(MISSING)
