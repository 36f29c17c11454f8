"""webhooks: finished deliveries indexed by age, for the delivery log's pruning

Revision ID: 0013_webhook_log_pruning
Revises: 0012_webhook_pending
Create Date: 2026-12-04
"""

from jiuzhu_kit.migrations import drop_finished_deliveries_index, index_finished_deliveries

revision = "0013_webhook_log_pruning"
down_revision = "0012_webhook_pending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_finished_deliveries("procurement")


def downgrade() -> None:
    drop_finished_deliveries_index("procurement")
