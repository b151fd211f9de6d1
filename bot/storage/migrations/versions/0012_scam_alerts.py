"""scam alerts: the known waves, their daily match counts, who opted in to them

Revision ID: 0012_scam_alerts
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_scam_alerts"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scam_alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("default_language", sa.String(length=8), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payloads", sa.JSON(), nullable=True),
        sa.Column("fan_out", sa.String(length=16), nullable=True),
        sa.Column("fanned_out_to", sa.BigInteger(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scam_alerts")),
    )
    op.create_index(op.f("ix_scam_alerts_status"), "scam_alerts", ["status"])
    op.create_index(op.f("ix_scam_alerts_fan_out"), "scam_alerts", ["fan_out"])
    op.create_table(
        "scam_alert_matches",
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["scam_alerts.id"],
            name=op.f("fk_scam_alert_matches_alert_id_scam_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "day", name=op.f("pk_scam_alert_matches")),
    )
    op.create_table(
        "alert_opt_ins",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_alert_opt_ins_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_opt_ins")),
    )


def downgrade() -> None:
    op.drop_table("alert_opt_ins")
    op.drop_table("scam_alert_matches")
    op.drop_index(op.f("ix_scam_alerts_fan_out"), table_name="scam_alerts")
    op.drop_index(op.f("ix_scam_alerts_status"), table_name="scam_alerts")
    op.drop_table("scam_alerts")
