"""webhooks: pending deliveries indexed by endpoint (the sender's claim); the outbox trigger notifies the senders

Revision ID: 0008_webhook_pending
Revises: 0007_transparency
Create Date: 2026-12-04
"""

from jiuzhu_kit.migrations import update_webhook_sender, downgrade_webhook_sender

revision = "0008_webhook_pending"
down_revision = "0007_transparency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    update_webhook_sender("staffing")


def downgrade() -> None:
    downgrade_webhook_sender("staffing")
