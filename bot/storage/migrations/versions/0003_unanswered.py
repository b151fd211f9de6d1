"""unanswered messages

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unanswered",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("best_guess", sa.String(length=40), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered")),
    )
    op.create_index(op.f("ix_unanswered_created_at"), "unanswered", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unanswered_created_at"), table_name="unanswered")
    op.drop_table("unanswered")
