"""roster: the workers a contract buys (personal data encrypted), their trainings; a contract's headcount

Revision ID: 0009_roster
Revises: 0009_documents
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_roster"
down_revision = "0009_documents"
branch_labels = None
depends_on = None

S = "procurement"


def upgrade() -> None:
    op.add_column("contract", sa.Column("headcount", sa.Integer(), nullable=True), schema=S)
    op.create_table(
        "roster_worker",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("contract_id", sa.Uuid(), sa.ForeignKey(f"{S}.contract.id"), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("contractor_uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_number_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_index", sa.String(64), nullable=False),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("education", sa.String(20), nullable=False),
        sa.Column("household_division", sa.String(12), nullable=False),
        sa.Column("social_work_qualification", sa.String(20), nullable=True),
        sa.Column("veteran", sa.Boolean(), nullable=False),
        sa.Column("returning_graduate", sa.Boolean(), nullable=False),
        sa.Column("unit_name", sa.String(100), nullable=False),
        sa.Column("serves_division", sa.String(12), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recruited_on", sa.Date(), nullable=False),
        sa.Column("dispatched_on", sa.Date(), nullable=True),
        sa.Column("approved", postgresql.JSONB(), nullable=True),
        sa.Column("replacement_due", postgresql.JSONB(), nullable=True),
        sa.Column("replaces_id", sa.Uuid(), sa.ForeignKey(f"{S}.roster_worker.id"), nullable=True),
        sa.Column("replaced_by_id", sa.Uuid(), sa.ForeignKey(f"{S}.roster_worker.id"), nullable=True),
        sa.Column("replaced_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("contract_id", "id_number_index", name="uq_roster_worker_contract_id_id_number_index"),
        schema=S,
    )
    for col in ("contract_id", "division_code", "contractor_uscc", "serves_division", "status"):
        op.create_index(f"ix_roster_worker_{col}", "roster_worker", [col], schema=S)
    op.create_table(
        "roster_training",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("contract_id", sa.Uuid(), sa.ForeignKey(f"{S}.contract.id"), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("contractor_uscc", sa.String(18), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(5, 1), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("organiser", sa.String(200), nullable=False),
        sa.Column("attendees", postgresql.JSONB(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=S,
    )
    for col in ("contract_id", "division_code"):
        op.create_index(f"ix_roster_training_{col}", "roster_training", [col], schema=S)


def downgrade() -> None:
    op.drop_table("roster_training", schema=S)
    op.drop_table("roster_worker", schema=S)
    op.drop_column("contract", "headcount", schema=S)
