"""checked messages kept with the user's consent (issue 16)

Revision ID: 0011_checked_messages
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_checked_messages"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checked_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_checked_messages_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checked_messages")),
    )
    op.create_index(op.f("ix_checked_messages_user_id"), "checked_messages", ["user_id"])
    op.create_index(op.f("ix_checked_messages_created_at"), "checked_messages", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_checked_messages_created_at"), table_name="checked_messages")
    op.drop_index(op.f("ix_checked_messages_user_id"), table_name="checked_messages")
    op.drop_table("checked_messages")
