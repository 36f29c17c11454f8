"""webhooks: pending deliveries indexed by endpoint, for the sender's claim

Revision ID: 0008_webhook_pending
Revises: 0007_transparency
Create Date: 2026-12-04
"""

from jiuzhu_kit.migrations import create_webhook_pending_index, drop_webhook_pending_index

revision = "0008_webhook_pending"
down_revision = "0007_transparency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_webhook_pending_index("staffing")


def downgrade() -> None:
    drop_webhook_pending_index("staffing")
