"""changes feed: each audit event's transaction id (its feed position) and the feed's index

Revision ID: 0003_changes_feed
Revises: 0002
Create Date: 2026-12-03
"""

from jiuzhu_kit.migrations import add_feed_position

revision = "0003_changes_feed"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_feed_position("gateway")


def downgrade() -> None:
    from alembic import op

    op.execute('DROP INDEX IF EXISTS "gateway".audit_event_feed')
    op.execute('ALTER TABLE "gateway".audit_event DROP COLUMN IF EXISTS xid')
