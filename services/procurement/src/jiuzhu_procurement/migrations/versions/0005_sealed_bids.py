"""sealed bids: a bid is an encrypted envelope until the opening; each project's wrapped data key

Revision ID: 0005_sealed_bids
Revises: 0004
Create Date: 2026-12-03

Bids stored before this revision were stored in clear; they stay readable as they were (the
upgrade has no key to seal them with, and a copy taken before it holds them in clear anyway).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_sealed_bids"
down_revision = "0006_experts"
branch_labels = None
depends_on = None

S = "procurement"
SEALED = ("contractor_id", "uscc", "contractor_name", "price", "small_enterprise")


def upgrade() -> None:
    op.add_column("project", sa.Column("opening", postgresql.JSONB(), nullable=True), schema=S)
    for column in SEALED:
        op.alter_column("bid", column, nullable=True, schema=S)
    op.add_column("bid", sa.Column("sealed", sa.LargeBinary(), nullable=True), schema=S)
    op.add_column("bid", sa.Column("bidder_tag", sa.LargeBinary(), nullable=True), schema=S)
    op.add_column("bid", sa.Column("commitment", sa.String(64), nullable=True), schema=S)
    op.add_column("bid", sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True), schema=S)
    op.add_column("bid", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True), schema=S)
    op.create_index(
        "uq_bid_live_bidder",
        "bid",
        ["project_id", "round", "bidder_tag"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.create_table(
        "bid_key",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], [f"{S}.project.id"], name="fk_bid_key_project_id_project"),
        sa.PrimaryKeyConstraint("project_id", name="pk_bid_key"),
        schema=S,
    )


def downgrade() -> None:
    # Sealed bids cannot go back to a schema without envelopes: they are dropped (never opened).
    op.execute(f"DELETE FROM {S}.bid WHERE sealed IS NOT NULL")
    op.drop_table("bid_key", schema=S)
    op.drop_index("uq_bid_live_bidder", table_name="bid", schema=S)
    for column in ("withdrawn_at", "opened_at", "commitment", "bidder_tag", "sealed"):
        op.drop_column("bid", column, schema=S)
    for column in SEALED:
        op.alter_column("bid", column, nullable=False, schema=S)
    op.drop_column("project", "opening", schema=S)
