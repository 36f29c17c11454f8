"""Indexes for the lists' sorts and filters (records issue): each list's keyset order, and the
division prefix (`LIKE '4401%'` needs a pattern index under a non-C collation).

Revision ID: 0005_list_indexes
Revises: 0006_webhooks
"""

from alembic import op

revision = "0005_list_indexes"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None

S = "staffing"


def upgrade() -> None:
    op.create_index("ix_scenario_created_id", "scenario", ["created_at", "id"], schema=S)
    op.create_index("ix_compliance_report_year_submitted_id", "compliance_report", ["year", "submitted_at", "id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_compliance_report_year_submitted_id", table_name="compliance_report", schema=S)
    op.drop_index("ix_scenario_created_id", table_name="scenario", schema=S)
