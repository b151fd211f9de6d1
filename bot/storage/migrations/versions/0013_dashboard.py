"""the dashboard: organisers' roles and regions, one-time sign-in links, audit log filters

Revision ID: 0013_dashboard
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_dashboard"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Everyone stored before roles existed was an organiser of every region.
    with op.batch_alter_table("organisers") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="organiser")
        )
        batch.add_column(sa.Column("regions", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "sign_in_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sign_in_links")),
    )
    op.create_index(op.f("ix_sign_in_links_expires_at"), "sign_in_links", ["expires_at"])
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"])
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_id"), table_name="audit_log")
    op.drop_index(op.f("ix_sign_in_links_expires_at"), table_name="sign_in_links")
    op.drop_table("sign_in_links")
    with op.batch_alter_table("organisers") as batch:
        batch.drop_column("regions")
        batch.drop_column("role")
