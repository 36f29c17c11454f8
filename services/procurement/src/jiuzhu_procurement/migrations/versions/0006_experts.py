"""experts: review-expert pools and each project round's verifiable draw

Revision ID: 0006_experts
Revises: 0004
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_experts"
down_revision = "0008_payment_terms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "expert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pool_division", sa.String(12), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("fields", postgresql.JSONB(), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("organisation_uscc", sa.String(18), nullable=True),
        sa.Column("conflicts", postgresql.JSONB(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_expert"),
        schema="procurement",
    )
    op.create_index("ix_expert_pool_division", "expert", ["pool_division"], schema="procurement")
    op.create_table(
        "expert_draw",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("algorithm", sa.String(40), nullable=False),
        sa.Column("purchaser_commitment", sa.String(64), nullable=False),
        sa.Column("service_seed", sa.String(64), nullable=False),
        sa.Column("service_commitment", sa.String(64), nullable=False),
        sa.Column("panel_size", sa.Integer(), nullable=False),
        sa.Column("representatives", sa.Integer(), nullable=False),
        sa.Column("experts", sa.Integer(), nullable=False),
        sa.Column("fields", postgresql.JSONB(), nullable=False),
        sa.Column("rule", postgresql.JSONB(), nullable=False),
        sa.Column("pool", postgresql.JSONB(), nullable=False),
        sa.Column("pool_hash", sa.String(64), nullable=False),
        sa.Column("committed_by", sa.String(256), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purchaser_seed", sa.String(128), nullable=True),
        sa.Column("exclusions", postgresql.JSONB(), nullable=True),
        sa.Column("eligible", postgresql.JSONB(), nullable=True),
        sa.Column("ranking", postgresql.JSONB(), nullable=True),
        sa.Column("panel", postgresql.JSONB(), nullable=True),
        sa.Column("drawn_by", sa.String(256), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["procurement.project.id"], name="fk_expert_draw_project_id_project"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_expert_draw"),
        sa.UniqueConstraint("project_id", "round", name="uq_expert_draw_project_id_round"),
        schema="procurement",
    )
    op.create_index("ix_expert_draw_project_id", "expert_draw", ["project_id"], schema="procurement")


def downgrade() -> None:
    op.drop_table("expert_draw", schema="procurement")
    op.drop_table("expert", schema="procurement")
