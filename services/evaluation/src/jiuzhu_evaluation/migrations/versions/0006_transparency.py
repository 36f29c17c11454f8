"""transparency: the public log of chain heads (entries, Merkle tree nodes, signed heads), append-only

Revision ID: 0006_transparency
Revises: 0004_list_indexes
Create Date: 2026-12-03
"""

from jiuzhu_kit.migrations import create_transparency_tables, drop_transparency_tables

revision = "0006_transparency"
down_revision = "0004_list_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_transparency_tables("evaluation")


def downgrade() -> None:
    drop_transparency_tables("evaluation")
