"""checklist runs

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checklist_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("checklist", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name=op.f("fk_checklist_runs_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_runs")),
    )
    op.create_index("ix_checklist_runs_user_checklist", "checklist_runs", ["user_id", "checklist"])


def downgrade() -> None:
    op.drop_index("ix_checklist_runs_user_checklist", table_name="checklist_runs")
    op.drop_table("checklist_runs")
