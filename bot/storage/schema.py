"""Tables. Every change here comes with an Alembic migration in migrations/versions/."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so that migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps go in as UTC and come out timezone-aware UTC on every backend (SQLite has no
    time zones and hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


class User(Base):
    __tablename__ = "users"
    # An announcement's audience by region (and language): the composer counts it as the
    # organiser types and the fan-out walks it; an index-only range instead of a scan of every
    # user (issue 17).
    __table_args__ = (Index("ix_users_region_language", "region", "language"),)

    # Telegram user ids exceed 32 bits.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8))
    # Chosen by the user in /settings; used for event filters and regional announcements.
    region: Mapped[str | None] = mapped_column(String(60))
    # Indexed for the dashboard's rollups (new users per day), which read it by time range.
    first_seen: Mapped[dt.datetime] = mapped_column(index=True)
    last_seen: Mapped[dt.datetime]


class Subscription(Base):
    """Daily tips for one user. `next_due_at` is the next send instant in UTC, kept current so
    that finding what is due is one index range scan, whatever the number of subscribers."""

    __tablename__ = "subscriptions"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[str] = mapped_column(String(16))
    send_minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class OutboxItem(Base):
    """One message the bot sends on its own initiative; `key` makes it happen at most once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_priority_id", "status", "priority", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    # Indexed for the dashboard's rollups, which add up the outcomes finished since the last.
    finished_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(String(300))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Sent in this order, then by id: 0 for what is due at a time (tips, event reminders),
    # 1 for announcements, so that one to everyone does not hold the day's tips back.
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # What the item belongs to ("ann:12", "event:5"), for status counts and cancelling.
    ref: Mapped[str | None] = mapped_column(String(40), index=True)


class ConversationState(Base):
    """A multi-step conversation waiting for the user's typed answer; lives in the database so
    that a restart, or another process, continues it."""

    __tablename__ = "conversation_state"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime]


class UnansweredMessage(Base):
    """A message the bot could not place. No user id, by design: it is kept for improving the
    training data, for a limited time (UNANSWERED_RETENTION_DAYS)."""

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    text: Mapped[str] = mapped_column(String(1000))
    language: Mapped[str] = mapped_column(String(8))
    best_guess: Mapped[str | None] = mapped_column(String(40))
    confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)


class ChecklistRunRow(Base):
    """One attempt at a checklist; `answers` maps item keys (and scope questions) to answers."""

    __tablename__ = "checklist_runs"
    __table_args__ = (Index("ix_checklist_runs_user_checklist", "user_id", "checklist"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    checklist: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Indexed for the dashboard's rollups (runs started and finished per day).
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    score: Mapped[int | None] = mapped_column(Integer)


class EventRow(Base):
    """An event of the campaign; `version` grows with every change, so that reminders and
    change notices of an older version are told apart."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_status_start", "status", "start_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(64), unique=True)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str] = mapped_column(String(60))
    country: Mapped[str] = mapped_column(String(2))
    audience: Mapped[str] = mapped_column(String(16))
    organiser: Mapped[str] = mapped_column(String(120))
    link: Mapped[str | None] = mapped_column(String(500))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class EventReminder(Base):
    """A user asked to be reminded of an event."""

    __tablename__ = "event_reminders"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime]


class OrganiserRow(Base):
    """Organisers added by an admin (admins themselves come from the ORGANISER_IDS setting)."""

    __tablename__ = "organisers"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[dt.datetime]
    # admin | organiser | viewer (bot.core.roles); regions: data/regions.yml keys, [] for all.
    role: Mapped[str] = mapped_column(String(16), default="organiser", server_default="organiser")
    regions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class SignInLinkRow(Base):
    """A one-time dashboard sign-in link (`ecsm-bot dashboard link`): only the SHA-256 of its
    token is kept, so the table gives nobody a way in."""

    __tablename__ = "sign_in_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class AuditEntry(Base):
    """Every organiser action: who, what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[dt.datetime] = mapped_column(index=True)
    # Indexed for the dashboard's filters (who, what).
    actor_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class BroadcastRow(Base):
    """An announcement to an audience. It is fanned out into the outbox in batches of users in
    id order; `fanned_out_to` is the last user id done, so a crash resumes where it stopped."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    send_at: Mapped[dt.datetime]
    fanned_out_to: Mapped[int | None] = mapped_column(BigInteger)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]


class TopicCount(Base):
    """How often each topic was asked, per day: anonymous counts for /stats."""

    __tablename__ = "topic_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class FloodWindow(Base):
    """Messages per user in the current flood-control window, shared by every bot process (see
    bot.storage.flood); `started` is seconds since the epoch."""

    __tablename__ = "flood_windows"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    started: Mapped[float] = mapped_column(Float, index=True)
    count: Mapped[int] = mapped_column(Integer)


class InboundUpdate(Base):
    """A webhook update acknowledged to Telegram (200) and not yet handled: stored before the
    answer, deleted after handling, so that a crash or a restart in between loses nothing."""

    __tablename__ = "inbound_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    claimed_until: Mapped[dt.datetime | None]


class SendRate(Base):
    """One row: the next free send slot and the end of any 429 pause, as seconds since the
    epoch on the database's clock, shared by every bot process (see bot.storage.send_rate)."""

    __tablename__ = "send_rate"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    next_slot: Mapped[float]
    paused_until: Mapped[float]


class CampaignThemeRow(Base):
    """This year's theme as organisers set it; preferred over data/campaign.yml."""

    __tablename__ = "campaign_themes"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str] = mapped_column(String(300))
    set_at: Mapped[dt.datetime]


class DailyRollup(Base):
    """The organisers' figures per day, so that the dashboard reads a few hundred rows instead
    of scanning users and the outbox on every request (bot.storage.rollups fills it). `region`
    is the user's region ("" for none, or for figures that have no region); `key` what is
    counted within the metric (a language, an outcome, a latency bucket). The primary key leads
    with the metric and the day: every dashboard query is one range of it."""

    __tablename__ = "daily_rollups"

    metric: Mapped[str] = mapped_column(String(24), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    region: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupMark(Base):
    """How far each incremental rollup has read its source table (a timestamp, exclusive)."""

    __tablename__ = "rollup_marks"

    name: Mapped[str] = mapped_column(String(24), primary_key=True)
    through: Mapped[dt.datetime]


class ScamAlertRow(Base):
    """A known scam wave (bot/core/alerts.py). `content` is by language: title, looks_like,
    advice, examples. On publishing, `payloads` (the subscribers' message by language) are
    left for bot.storage.alerts.AlertPlanner, which queues them for everyone who opted in, a
    batch at a time: `fanned_out_to` is the last user id queued, so a crash resumes after it,
    and `fan_out` says whether anything is left to queue (waiting | done | stopped)."""

    __tablename__ = "scam_alerts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    default_language: Mapped[str] = mapped_column(String(8))
    source_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)  # an AlertStatus
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]
    payloads: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fan_out: Mapped[str | None] = mapped_column(String(16), index=True)
    fanned_out_to: Mapped[int | None] = mapped_column(BigInteger)
    queued: Mapped[int] = mapped_column(Integer, default=0)


class ScamAlertMatchCount(Base):
    """How many checked messages matched an alert, per day (no message, no person)."""

    __tablename__ = "scam_alert_matches"

    alert_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("scam_alerts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AlertOptIn(Base):
    """Someone who asked to be told of new scam alerts (/alerts, or the tips settings)."""

    __tablename__ = "alert_opt_ins"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[dt.datetime]


class CheckedMessageRow(Base):
    """A message a user had checked ("Is this a scam?") and agreed to let the bot keep, for
    organisers to spot new scam waves: scrubbed of phone numbers, IBANs, card numbers, e-mail
    addresses and codes, without the sender. It is the user's: in /mydata, erased by /forget."""

    __tablename__ = "checked_messages"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(1000))
    language: Mapped[str] = mapped_column(String(8))
    verdict: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)


class NluReviewItem(Base):
    """A message of the NLU's review queue (issue 18): not understood, answered with little
    confidence, or answered and flagged "that didn't help". Scrubbed, no sender, by design;
    an organiser's decision says who and when."""

    __tablename__ = "nlu_review_items"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    text: Mapped[str] = mapped_column(String(1000))
    language: Mapped[str] = mapped_column(String(8))
    guess: Mapped[str | None] = mapped_column(String(40))
    confidence: Mapped[float] = mapped_column(Float)
    # unplaced, low_confidence, not_helpful; NULL: answered, waiting a day for a tap.
    source: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    decision: Mapped[str | None] = mapped_column(String(16), index=True)
    topic: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[dt.datetime | None]
    # An HMAC of the user the answer went to, so that only they can flag it "didn't help";
    # kept for the tap window only (cleared by a tap, a decision or the purge), never the id.
    tap_key: Mapped[str | None] = mapped_column(String(64))


class NluModelVersion(Base):
    """A model the NLU was or could be served with (issue 18): how it was made, its scores
    beside the model running then, and whether it is the one served."""

    __tablename__ = "nlu_model_versions"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    input_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    # training, trained, failed, promoted, retired
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    examples: Mapped[int] = mapped_column(Integer)
    train_seconds: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    promoted_by: Mapped[int | None] = mapped_column(BigInteger)
    promoted_at: Mapped[dt.datetime | None]
    override_reason: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
