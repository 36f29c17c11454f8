"""changes feed: each audit event's transaction id (its feed position) and the feed's index

Revision ID: 0005_changes_feed
Revises: 0004
Create Date: 2026-12-03
"""

from jiuzhu_kit.migrations import add_feed_position

revision = "0005_changes_feed"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_feed_position("staffing")


def downgrade() -> None:
    from alembic import op

    op.execute('DROP INDEX IF EXISTS "staffing".audit_event_feed')
    op.execute('ALTER TABLE "staffing".audit_event DROP COLUMN IF EXISTS xid')
