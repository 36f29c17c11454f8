"""transparency: the public log of chain heads (entries, Merkle tree nodes, signed heads), append-only

Revision ID: 0011_transparency
Revises: 0009_roster
Create Date: 2026-12-03
"""

from jiuzhu_kit.migrations import create_transparency_tables, drop_transparency_tables

revision = "0011_transparency"
down_revision = "0009_roster"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_transparency_tables("procurement")


def downgrade() -> None:
    drop_transparency_tables("procurement")
