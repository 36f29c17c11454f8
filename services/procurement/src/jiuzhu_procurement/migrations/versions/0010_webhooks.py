"""webhooks: endpoints, the transactional outbox (filled by a trigger on the audit log), deliveries, attempts

Revision ID: 0010_webhooks
Revises: 0009_changes_feed
Create Date: 2026-12-03
"""

from jiuzhu_kit.migrations import create_webhook_tables, drop_webhook_tables

revision = "0010_webhooks"
down_revision = "0009_changes_feed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_webhook_tables("procurement")


def downgrade() -> None:
    drop_webhook_tables("procurement")
