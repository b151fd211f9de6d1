"""inbound webhook updates

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("claimed_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbound_updates")),
    )
    op.create_index(op.f("ix_inbound_updates_received_at"), "inbound_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_updates_received_at"), table_name="inbound_updates")
    op.drop_table("inbound_updates")
