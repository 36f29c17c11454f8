"""shared rate-limit counters (jiuzhu_kit.ratelimit.ClusterWindow)

Revision ID: 0003_rate_limits
Revises: 0003_changes_feed
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_rate_limits"
down_revision: str | None = "0003_changes_feed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_window",
        sa.Column("bucket", sa.Text(), nullable=False),
        sa.Column("win", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "win", name=op.f("pk_rate_limit_window")),
        schema="gateway",
    )
    op.create_index(
        op.f("ix_rate_limit_window_expires_at"), "rate_limit_window", ["expires_at"], schema="gateway"
    )
    op.create_table(
        "rate_limit_replica",
        sa.Column("replica", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("replica", name=op.f("pk_rate_limit_replica")),
        schema="gateway",
    )


def downgrade() -> None:
    op.drop_table("rate_limit_replica", schema="gateway")
    op.drop_index(op.f("ix_rate_limit_window_expires_at"), table_name="rate_limit_window", schema="gateway")
    op.drop_table("rate_limit_window", schema="gateway")
