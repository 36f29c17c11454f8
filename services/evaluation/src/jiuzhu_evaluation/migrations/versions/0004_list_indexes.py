"""Indexes for the lists' sorts and filters (records issue): each list's keyset order, and the
division prefix (`LIKE '4401%'` needs a pattern index under a non-C collation).

Revision ID: 0004_list_indexes
Revises: 0004_rate_limits
"""

from alembic import op

revision = "0004_list_indexes"
down_revision = "0004_rate_limits"
branch_labels = None
depends_on = None

S = "evaluation"


def upgrade() -> None:
    op.create_index("ix_evaluation_round_opened_id", "evaluation_round", ["opened_at", "id"], schema=S)
    op.create_index("ix_survey_created_id", "survey", ["created_at", "id"], schema=S)
    op.create_index("ix_staff_assessment_year_assessed_id", "staff_assessment", ["year", "assessed_at", "id"], schema=S)
    op.create_index("ix_indicator_template_code_id", "indicator_template", ["code", "id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_indicator_template_code_id", table_name="indicator_template", schema=S)
    op.drop_index("ix_staff_assessment_year_assessed_id", table_name="staff_assessment", schema=S)
    op.drop_index("ix_survey_created_id", table_name="survey", schema=S)
    op.drop_index("ix_evaluation_round_opened_id", table_name="evaluation_round", schema=S)
