"""Typed settings from the environment (and an optional `.env`), validated once at start-up."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogFormat = Literal["text", "json"]


class Settings(BaseSettings):
    """Every knob of the bot. Field aliases are the environment variable names (see README)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://api.telegram.org/bot"), alias="TELEGRAM_API_BASE_URL"
    )
    database_url: str = Field(default="sqlite:///var/ecsm-bot.sqlite3", alias="DATABASE_URL")
    rasa_url: AnyHttpUrl = Field(default=AnyHttpUrl("http://127.0.0.1:5005"), alias="RASA_URL")
    rasa_token: SecretStr | None = Field(default=None, alias="RASA_TOKEN")
    rasa_timeout: float = Field(default=3.0, gt=0, le=30, alias="RASA_TIMEOUT")
    rasa_venv: Path = Field(default=Path(".venv-rasa"), alias="RASA_VENV")
    rasa_startup_timeout: float = Field(default=180.0, gt=0, alias="RASA_STARTUP_TIMEOUT")
    # Where candidate models are trained and scored (issue 18): a Rasa server of its own started
    # with --enable-api (docker compose's rasa-trainer), over its HTTP API with RASA_TOKEN; unset,
    # they are trained by `rasa train nlu` from RASA_VENV and scored by a server started for it.
    rasa_trainer_url: AnyHttpUrl | None = Field(default=None, alias="RASA_TRAINER_URL")
    nlu_dir: Path = Field(default=Path("nlu"), alias="NLU_DIR")
    data_dir: Path = Field(default=Path("data"), alias="DATA_DIR")
    default_language: str = Field(default="en", alias="DEFAULT_LANGUAGE")
    default_timezone: str = Field(default="Europe/Sofia", alias="DEFAULT_TIMEZONE")
    organiser_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="ORGANISER_IDS"
    )
    nlu_confidence_threshold: float = Field(
        default=0.30, ge=0, le=1, alias="NLU_CONFIDENCE_THRESHOLD"
    )
    nlu_ambiguity_margin: float = Field(default=0.05, ge=0, le=1, alias="NLU_AMBIGUITY_MARGIN")
    # A topic that leads out_of_scope by less than this is refused as well (0: off); tuned by
    # cross-validation on the training data (bench/nlu_cv.py, docs/nlu.md third pass).
    nlu_refusal_margin: float = Field(default=0.0, ge=0, le=1, alias="NLU_REFUSAL_MARGIN")
    # The NLU learning from its users (issue 18): answers below this confidence join the review
    # queue; candidate models and their training data live under NLU_WORK_DIR (the deployment's
    # data, never the package); a candidate is promoted only if no language loses more than
    # NLU_PROMOTION_TOLERANCE of accuracy or macro-F1 (0.01 = one point) unless an admin overrides.
    nlu_review_confidence: float = Field(default=0.5, ge=0, le=1, alias="NLU_REVIEW_CONFIDENCE")
    nlu_work_dir: Path = Field(default=Path("var/nlu"), alias="NLU_WORK_DIR")
    # The message check's learned scorer, fitted once and loaded by every process that starts
    # (bot/storage/scorer_cache.py); safe to delete.
    scorer_cache_dir: Path = Field(default=Path("var/cache/scorers"), alias="SCORER_CACHE_DIR")
    nlu_promotion_tolerance: float = Field(
        default=0.01, ge=0, le=1, alias="NLU_PROMOTION_TOLERANCE"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    log_format: LogFormat = Field(default="text", alias="LOG_FORMAT")
    campaign_start: dt.date | None = Field(default=None, alias="CAMPAIGN_START")
    campaign_end: dt.date | None = Field(default=None, alias="CAMPAIGN_END")
    tips_off_season: bool = Field(default=False, alias="TIPS_OFF_SEASON")
    delivery_rate: float = Field(default=30.0, gt=0, le=1000, alias="DELIVERY_RATE")
    delivery_paid_broadcast: bool = Field(default=False, alias="DELIVERY_PAID_BROADCAST")
    unanswered_retention_days: int = Field(
        default=30, ge=1, le=365, alias="UNANSWERED_RETENTION_DAYS"
    )
    # How long a checked message the user agreed to let the bot keep is kept (issue 16).
    checked_retention_days: int = Field(default=90, ge=1, le=365, alias="CHECKED_RETENTION_DAYS")
    delivery_tick_seconds: float = Field(default=20.0, ge=1, le=300, alias="DELIVERY_TICK_SECONDS")
    delivery_lease_seconds: float = Field(
        default=120.0, ge=5, le=3600, alias="DELIVERY_LEASE_SECONDS"
    )
    telegram_mode: Literal["polling", "webhook"] = Field(default="polling", alias="TELEGRAM_MODE")
    webhook_url: HttpUrl | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    webhook_listen: str = Field(default="0.0.0.0", alias="WEBHOOK_LISTEN")  # noqa: S104
    webhook_port: int = Field(default=8080, ge=1, le=65535, alias="WEBHOOK_PORT")
    webhook_path: str = Field(
        default="/telegram", pattern=r"^/[A-Za-z0-9/_-]{1,100}$", alias="WEBHOOK_PATH"
    )
    webhook_workers: int = Field(default=32, ge=1, le=1000, alias="WEBHOOK_WORKERS")
    flood_messages: int = Field(default=12, ge=1, le=1000, alias="FLOOD_MESSAGES")
    flood_window_seconds: float = Field(default=10.0, gt=0, le=3600, alias="FLOOD_WINDOW_SECONDS")
    event_reminder_minutes: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(24 * 60, 60), alias="EVENT_REMINDER_MINUTES"
    )
    # Reading screenshots (bot/ocr): the largest file the bot downloads (Telegram's getFile
    # serves up to 20 MB), the largest picture it decodes, the time from a screenshot to its
    # text, how many are read at once, and the tesseract program.
    ocr_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=20 * 1024 * 1024, alias="OCR_MAX_BYTES"
    )
    ocr_max_pixels: int = Field(
        default=25_000_000, ge=10_000, le=200_000_000, alias="OCR_MAX_PIXELS"
    )
    ocr_timeout: float = Field(default=20.0, gt=0, le=300, alias="OCR_TIMEOUT")
    ocr_workers: int = Field(default=1, ge=1, le=32, alias="OCR_WORKERS")
    tesseract_cmd: str = Field(default="tesseract", min_length=1, alias="TESSERACT_CMD")
    # The organisers' dashboard (bot/web), served by the bot's process; loopback by default.
    dashboard_enabled: bool = Field(default=True, alias="DASHBOARD_ENABLED")
    dashboard_listen: str = Field(default="127.0.0.1", alias="DASHBOARD_LISTEN")
    dashboard_port: int = Field(default=8090, ge=1, le=65535, alias="DASHBOARD_PORT")
    # Its public address (https, behind a proxy): the Mini App button, the Login Widget and
    # the links of `ecsm-bot dashboard link`. Unset: http://DASHBOARD_LISTEN:DASHBOARD_PORT.
    dashboard_url: HttpUrl | None = Field(default=None, alias="DASHBOARD_URL")
    # Signs the session cookies; unset, it is derived from the bot token (every replica of one
    # bot agrees), or made up per process when there is no token.
    dashboard_secret: SecretStr | None = Field(default=None, alias="DASHBOARD_SECRET")
    dashboard_session_minutes: int = Field(
        default=8 * 60, ge=5, le=7 * 24 * 60, alias="DASHBOARD_SESSION_MINUTES"
    )
    dashboard_link_minutes: int = Field(default=10, ge=1, le=60, alias="DASHBOARD_LINK_MINUTES")
    # How old a Mini App's or Login Widget's signed data may be when it signs someone in.
    dashboard_proof_max_age_minutes: int = Field(
        default=60, ge=1, le=24 * 60, alias="DASHBOARD_PROOF_MAX_AGE_MINUTES"
    )
    # Sign-in attempts per client address in 5 minutes.
    dashboard_sign_in_attempts: int = Field(
        default=20, ge=1, le=1000, alias="DASHBOARD_SIGN_IN_ATTEMPTS"
    )
    # Proxies whose X-Forwarded-For is believed (uvicorn's forwarded_allow_ips).
    dashboard_trusted_proxies: str = Field(default="127.0.0.1", alias="DASHBOARD_TRUSTED_PROXIES")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if (self.campaign_start is None) != (self.campaign_end is None):
            raise ValueError("CAMPAIGN_START and CAMPAIGN_END go together")
        if self.campaign_start and self.campaign_end and self.campaign_end < self.campaign_start:
            raise ValueError("CAMPAIGN_END is before CAMPAIGN_START")
        if self.telegram_mode == "webhook" and (
            self.webhook_url is None or self.webhook_secret is None
        ):
            raise ValueError("TELEGRAM_MODE=webhook needs WEBHOOK_URL and WEBHOOK_SECRET")
        if self.rasa_trainer_url is not None and self.rasa_token is None:
            raise ValueError("RASA_TRAINER_URL needs RASA_TOKEN (the trainer's API is guarded)")
        if self.webhook_secret is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", self.webhook_secret.get_secret_value()
        ):
            raise ValueError(
                "WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - "
                "(what Telegram accepts as a secret token)"
            )
        if self.delivery_rate > 30 and not self.delivery_paid_broadcast:
            raise ValueError(
                "DELIVERY_RATE above 30 messages/s needs DELIVERY_PAID_BROADCAST=true "
                "(Telegram's paid broadcasts)"
            )
        return self

    @field_validator(
        "telegram_bot_token",
        "rasa_token",
        "rasa_trainer_url",
        "webhook_secret",
        "webhook_url",
        "dashboard_url",
        "dashboard_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # BotFather tokens look like 123456789:AA...; checking the shape catches a pasted
        # placeholder early, and the message never repeats the value.
        if value is not None:
            bot_id, sep, secret = value.get_secret_value().partition(":")
            if not (sep and bot_id.isdigit() and len(secret) >= 20):
                raise ValueError("does not look like a BotFather token (<digits>:<secret>)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0]
        if scheme.split("+", 1)[0] not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        if not (value.isascii() and value.isalpha() and 2 <= len(value) <= 3):
            raise ValueError("must be a two- or three-letter language code")
        return value.lower()

    @field_validator("organiser_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(part) for part in parts if part)
            except ValueError as exc:
                raise ValueError("must be Telegram user ids separated by commas") from exc
        return value

    @field_validator("event_reminder_minutes", mode="before")
    @classmethod
    def _split_minutes(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                minutes = tuple(int(part) for part in value.split(",") if part.strip())
            except ValueError as exc:
                raise ValueError("must be minutes before the start, separated by commas") from exc
            return minutes
        return value

    @field_validator("event_reminder_minutes")
    @classmethod
    def _sensible_minutes(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= m <= 14 * 24 * 60 for m in value):
            raise ValueError("each reminder must be 1 minute to 14 days before the start")
        return tuple(sorted(set(value), reverse=True))

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        return [
            secret.get_secret_value()
            for secret in (
                self.telegram_bot_token,
                self.rasa_token,
                self.webhook_secret,
                self.dashboard_secret,
            )
            if secret is not None
        ]


def describe_errors(error: ValidationError) -> list[str]:
    """One line per bad setting, named by its environment variable, never echoing the value."""
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        lines.append(f"{name}: {item['msg']}")
    return lines


def dashboard_address(settings: Settings) -> str:
    """Where the dashboard is opened: DASHBOARD_URL, else its own listening address."""
    if settings.dashboard_url is not None:
        return str(settings.dashboard_url).rstrip("/")
    host = settings.dashboard_listen
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{settings.dashboard_port}"
