"""flood-control counts shared by every bot process

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flood_windows",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("started", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_flood_windows")),
    )
    op.create_index(op.f("ix_flood_windows_started"), "flood_windows", ["started"])


def downgrade() -> None:
    op.drop_index(op.f("ix_flood_windows_started"), table_name="flood_windows")
    op.drop_table("flood_windows")
