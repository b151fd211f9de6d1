"""outbox priority: tips and reminders before announcements

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default="0", nullable=False)
        )
    # Announcements already queued keep their place behind what is due at a time.
    op.execute("update outbox set priority = 1 where kind = 'announcement'")
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.create_index("ix_outbox_status_priority_id", "outbox", ["status", "priority", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_priority_id", table_name="outbox")
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("priority")
