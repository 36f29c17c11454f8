"""kit tables: audit log, idempotency records (the gateway keeps no calendar)

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from jiuzhu_kit.migrations import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables("gateway", calendar=False)


def downgrade() -> None:
    drop_kit_tables("gateway")
