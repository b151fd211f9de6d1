"""daily rollups for the organisers' dashboard, and the indexes that fill them

Revision ID: 0014_rollups
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_rollups"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_rollups",
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "day", "region", "key", name=op.f("pk_daily_rollups")),
    )
    op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(length=24), nullable=False),
        sa.Column("through", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_marks")),
    )
    op.create_index(op.f("ix_users_first_seen"), "users", ["first_seen"])
    op.create_index(op.f("ix_outbox_finished_at"), "outbox", ["finished_at"])
    op.create_index(op.f("ix_checklist_runs_started_at"), "checklist_runs", ["started_at"])
    op.create_index(op.f("ix_checklist_runs_finished_at"), "checklist_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_checklist_runs_finished_at"), table_name="checklist_runs")
    op.drop_index(op.f("ix_checklist_runs_started_at"), table_name="checklist_runs")
    op.drop_index(op.f("ix_outbox_finished_at"), table_name="outbox")
    op.drop_index(op.f("ix_users_first_seen"), table_name="users")
    op.drop_table("rollup_marks")
    op.drop_table("daily_rollups")
