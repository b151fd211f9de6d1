from __future__ import annotations

import pytest

from bot.content.catalog import Catalog
from bot.core.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("какво е фишинг", "bg"),
        ("Получих SMS от Еконт", "bg"),
        ("what is phishing", "en"),
        ("I got an email from my bank", "en"),
        ("kakvo e fishing", "bg"),
        ("hacknaha mi profila vuv fb", "bg"),
        ("kak da si napravq silna parola", "bg"),
        ("phishing", None),
        ("2FA", None),
        ("123 !!!", None),
        ("", None),
    ],
)
def test_detect(catalog: Catalog, text: str, expected: str | None) -> None:
    assert detect_language(text, catalog.languages) == expected
