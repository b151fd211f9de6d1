from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_errors

GOOD_TOKEN = "123456789:AAH_this-is-a-fake-token-0123456789"


def settings() -> Settings:
    return Settings(_env_file=None)


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "RASA_URL", "ORGANISER_IDS"):
        monkeypatch.delenv(name, raising=False)
    s = settings()
    assert s.telegram_bot_token is None
    assert s.database_url.startswith("sqlite:///")
    assert str(s.rasa_url).startswith("http://127.0.0.1:5005")
    assert s.organiser_ids == frozenset()


def test_values_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ORGANISER_IDS", "11, 22;33")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Brussels")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    s = settings()
    assert s.telegram_bot_token is not None
    assert s.telegram_bot_token.get_secret_value() == GOOD_TOKEN
    assert s.organiser_ids == frozenset({11, 22, 33})
    assert str(s.telegram_api_base_url) == "http://127.0.0.1:8081/bot"
    assert GOOD_TOKEN not in repr(s) and GOOD_TOKEN not in str(s.model_dump())


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TELEGRAM_BOT_TOKEN", "paste-your-token-here", "BotFather"),
        ("DATABASE_URL", "mysql://x", "sqlite:// or postgresql://"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("ORGANISER_IDS", "12,abc", "Telegram user ids"),
        ("RASA_TIMEOUT", "-1", "greater than 0"),
        ("RASA_URL", "not a url", "URL"),
        ("DEFAULT_LANGUAGE", "english", "language code"),
    ],
)
def test_bad_values_are_named_clearly(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        settings()
    lines = describe_errors(caught.value)
    assert any(line.startswith(name) and message in line for line in lines), lines
    if name == "TELEGRAM_BOT_TOKEN":
        assert all(value not in line for line in lines)


def test_empty_token_means_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "  ")
    assert settings().telegram_bot_token is None
