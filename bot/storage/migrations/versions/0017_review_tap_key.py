"""the review queue's tap key: who may flag an answer "didn't help" (issue 18)

Revision ID: 0017_review_tap_key
Revises: 0016_nlu_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_review_tap_key"
down_revision = "0016_nlu_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nlu_review_items") as batch:
        batch.add_column(sa.Column("tap_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nlu_review_items") as batch:
        batch.drop_column("tap_key")
