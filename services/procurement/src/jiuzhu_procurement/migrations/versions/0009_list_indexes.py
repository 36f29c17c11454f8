"""Indexes for the lists' sorts and filters (records issue): each list's keyset order, and the
division prefix (`LIKE '4401%'` needs a pattern index under a non-C collation).

Revision ID: 0009_list_indexes
Revises: 0010_webhooks
"""

from alembic import op

revision = "0009_list_indexes"
down_revision = "0010_webhooks"
branch_labels = None
depends_on = None

S = "procurement"


def upgrade() -> None:
    op.create_index("ix_project_created_id", "project", ["created_at", "id"], schema=S)
    op.create_index("ix_project_division_pattern", "project", ["division_code"], schema=S, postgresql_ops={"division_code": "varchar_pattern_ops"})
    op.create_index("ix_project_awarded_uscc", "project", ["awarded_uscc"], schema=S)
    op.create_index("ix_bid_submitted_id", "bid", ["submitted_at", "id"], schema=S)
    op.create_index("ix_purchase_plan_year_created_id", "purchase_plan", ["year", "created_at", "id"], schema=S)
    op.create_index("ix_contract_created_id", "contract", ["created_at", "id"], schema=S)
    op.create_index("ix_payment_due_id", "payment", ["due_on", "id"], schema=S)
    op.create_index("ix_debarment_created_id", "debarment", ["created_at", "id"], schema=S)
    op.create_index("ix_challenge_submitted_id", "challenge", ["submitted_on", "id"], schema=S)
    op.create_index("ix_complaint_due_id", "complaint", ["decision_due", "id"], schema=S)
    op.create_index("ix_contractor_name_id", "contractor", ["name", "id"], schema=S)
    op.create_index("ix_expert_pool_created_id", "expert", ["pool_division", "created_at", "id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_expert_pool_created_id", table_name="expert", schema=S)
    op.drop_index("ix_contractor_name_id", table_name="contractor", schema=S)
    op.drop_index("ix_complaint_due_id", table_name="complaint", schema=S)
    op.drop_index("ix_challenge_submitted_id", table_name="challenge", schema=S)
    op.drop_index("ix_debarment_created_id", table_name="debarment", schema=S)
    op.drop_index("ix_payment_due_id", table_name="payment", schema=S)
    op.drop_index("ix_contract_created_id", table_name="contract", schema=S)
    op.drop_index("ix_purchase_plan_year_created_id", table_name="purchase_plan", schema=S)
    op.drop_index("ix_bid_submitted_id", table_name="bid", schema=S)
    op.drop_index("ix_project_awarded_uscc", table_name="project", schema=S)
    op.drop_index("ix_project_division_pattern", table_name="project", schema=S)
    op.drop_index("ix_project_created_id", table_name="project", schema=S)
