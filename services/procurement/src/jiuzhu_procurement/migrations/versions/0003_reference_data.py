"""reference data: service catalogue, negative list, thresholds (dated, cited)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

The rows now live in the rule packs (jiuzhu_procurement/rulebook/data); 0004 drops these tables.
On a fresh database this step loads nothing.
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
