"""the sending grid shared by every bot process

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "send_rate",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_rate")),
    )
    op.bulk_insert(table, [{"id": 1, "next_slot": 0.0, "paused_until": 0.0}])


def downgrade() -> None:
    op.drop_table("send_rate")
