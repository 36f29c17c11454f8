"""rules as data: the reference tables give way to rule packs; local packs a bureau publishes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("threshold", "negative_list_entry", "catalogue_item"):
        op.execute(f'DROP TABLE IF EXISTS procurement."{name}"')
    op.create_table(
        "rule_pack",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("pack_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(12), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", postgresql.JSONB(), nullable=False),
        sa.Column("submitted_by", sa.String(256), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("decided_by", sa.String(256), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rule_pack"),
        sa.UniqueConstraint("pack_id", "version", name="uq_rule_pack_pack_id_version"),
        schema="procurement",
    )
    op.create_index("ix_rule_pack_jurisdiction", "rule_pack", ["jurisdiction"], schema="procurement")


def downgrade() -> None:
    op.drop_table("rule_pack", schema="procurement")
