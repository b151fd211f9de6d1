"""users by region and language: the announcement composer's audience count and the fan-out of
a regional announcement read an index range instead of every user (issue 17)

Revision ID: 0018_users_region
Revises: 0017_review_tap_key
"""

from __future__ import annotations

from alembic import op

revision = "0018_users_region"
down_revision = "0017_review_tap_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_region_language", "users", ["region", "language"])


def downgrade() -> None:
    op.drop_index("ix_users_region_language", table_name="users")
