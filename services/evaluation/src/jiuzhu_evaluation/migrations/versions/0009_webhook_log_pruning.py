"""webhooks: finished deliveries indexed by age, for the delivery log's pruning

Revision ID: 0009_webhook_log_pruning
Revises: 0008_webhook_pending
Create Date: 2026-12-04
"""

from jiuzhu_kit.migrations import drop_finished_deliveries_index, index_finished_deliveries

revision = "0009_webhook_log_pruning"
down_revision = "0008_webhook_pending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_finished_deliveries("evaluation")


def downgrade() -> None:
    drop_finished_deliveries_index("evaluation")
