"""webhooks: pending deliveries indexed by endpoint (the sender's claim); the outbox trigger notifies the senders

Revision ID: 0012_webhook_pending
Revises: 0011_transparency
Create Date: 2026-12-04
"""

from jiuzhu_kit.migrations import update_webhook_sender, downgrade_webhook_sender

revision = "0012_webhook_pending"
down_revision = "0011_transparency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    update_webhook_sender("procurement")


def downgrade() -> None:
    downgrade_webhook_sender("procurement")
