"""legal clock: a purchase's periods and deadlines, challenges with their reply, complaints to finance

The project records the documents-issued date and the response deadline (the method's minimum
period), a finance suspension, and the deadlines due after the award; a challenge records what it
is against and when its reply and a complaint are due; complaints get their own table.

Revision ID: 0007_legal_clock
Revises: 0004
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_legal_clock"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "procurement"


def upgrade() -> None:
    op.add_column("project", sa.Column("documents_issued_on", sa.Date(), nullable=True), schema=S)
    op.add_column("project", sa.Column("response_deadline", sa.Date(), nullable=True), schema=S)
    op.add_column("project", sa.Column("suspended_until", sa.Date(), nullable=True), schema=S)
    op.add_column(
        "project",
        sa.Column(
            "deadlines", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        schema=S,
    )
    op.add_column(
        "challenge",
        sa.Column("against", sa.String(length=16), server_default="result", nullable=False),
        schema=S,
    )
    op.add_column("challenge", sa.Column("reply_due", sa.Date(), nullable=True), schema=S)
    op.add_column("challenge", sa.Column("complaint_deadline", sa.Date(), nullable=True), schema=S)
    op.create_table(
        "complaint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("challenge_id", sa.Uuid(), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("finance_division", sa.String(length=12), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("decision_due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("suspended_until", sa.Date(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("redo_from", sa.String(length=32), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], [f"{S}.project.id"], name=op.f("fk_complaint_project_id_project")
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"], [f"{S}.challenge.id"], name=op.f("fk_complaint_challenge_id_challenge")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("challenge_id", name=op.f("uq_complaint_challenge_id")),
        schema=S,
    )
    for col in ("project_id", "division_code", "finance_division", "status"):
        op.create_index(op.f(f"ix_complaint_{col}"), "complaint", [col], unique=False, schema=S)


def downgrade() -> None:
    op.drop_table("complaint", schema=S)
    for col in ("complaint_deadline", "reply_due", "against"):
        op.drop_column("challenge", col, schema=S)
    for col in ("deadlines", "suspended_until", "response_deadline", "documents_issued_on"):
        op.drop_column("project", col, schema=S)
