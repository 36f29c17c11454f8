"""payment terms: what gates each payment (signing, acceptance, evaluation), grade scaling, SME due dates, overrides

Revision ID: 0008_payment_terms
Revises: 0004
Create Date: 2026-12-10

Existing payments keep today's behaviour: gated by a published evaluation round, not scaled, their
scheduled amount the amount they carry.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_payment_terms"
down_revision = "0007_legal_clock"
branch_labels = None
depends_on = None

S = "procurement"


def upgrade() -> None:
    op.add_column(
        "contract",
        sa.Column("payment_terms", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        schema=S,
    )
    op.add_column("contract", sa.Column("grade_scale", postgresql.JSONB(), nullable=True), schema=S)
    op.add_column("payment", sa.Column("scheduled_amount", sa.Numeric(14, 2), nullable=True), schema=S)
    op.execute(f"UPDATE {S}.payment SET scheduled_amount = amount")
    op.alter_column("payment", "scheduled_amount", nullable=False, schema=S)
    op.add_column(
        "payment", sa.Column("gate", sa.String(16), server_default="evaluation", nullable=False), schema=S
    )
    op.add_column(
        "payment",
        sa.Column("scale_by_grade", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema=S,
    )
    op.add_column("payment", sa.Column("accepted_on", sa.Date(), nullable=True), schema=S)
    op.add_column("payment", sa.Column("acceptance", postgresql.JSONB(), nullable=True), schema=S)
    op.add_column("payment", sa.Column("override", postgresql.JSONB(), nullable=True), schema=S)


def downgrade() -> None:
    for column in ("override", "acceptance", "accepted_on", "scale_by_grade", "gate", "scheduled_amount"):
        op.drop_column("payment", column, schema=S)
    for column in ("grade_scale", "payment_terms"):
        op.drop_column("contract", column, schema=S)
