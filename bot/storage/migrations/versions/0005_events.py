"""events, reminders, organisers, audit log, broadcasts, topic counts

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("region", sa.String(length=60), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("ref", sa.String(length=40), nullable=True))
        batch.create_index(op.f("ix_outbox_ref"), ["ref"])
    op.create_table(
        "events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("end_at", TS, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("organiser", sa.String(length=120), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("key", name=op.f("uq_events_key")),
    )
    op.create_index("ix_events_status_start", "events", ["status", "start_at"])
    op.create_table(
        "event_reminders",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name=op.f("fk_event_reminders_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            ondelete="CASCADE",
            name=op.f("fk_event_reminders_event_id_events"),
        ),
        sa.PrimaryKeyConstraint("user_id", "event_id", name=op.f("pk_event_reminders")),
    )
    op.create_index(op.f("ix_event_reminders_event_id"), "event_reminders", ["event_id"])
    op.create_table(
        "organisers",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_organisers")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_table(
        "broadcasts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("send_at", TS, nullable=False),
        sa.Column("fanned_out_to", sa.BigInteger(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index("ix_broadcasts_status_send_at", "broadcasts", ["status", "send_at"])
    op.create_table(
        "topic_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "topic", name=op.f("pk_topic_counts")),
    )


def downgrade() -> None:
    op.drop_table("topic_counts")
    op.drop_index("ix_broadcasts_status_send_at", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("organisers")
    op.drop_index(op.f("ix_event_reminders_event_id"), table_name="event_reminders")
    op.drop_table("event_reminders")
    op.drop_index("ix_events_status_start", table_name="events")
    op.drop_table("events")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index(op.f("ix_outbox_ref"))
        batch.drop_column("ref")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("region")
