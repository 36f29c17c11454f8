"""reference data: service catalogue, negative list, thresholds (dated, cited)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The rows live in jiuzhu_procurement.catalogue.data; `reference.load` upserts later changes.
    from jiuzhu_procurement.reference import batches

    for table, rows, _keys in batches():
        op.bulk_insert(table, rows)


def downgrade() -> None:
    for name in ("threshold", "negative_list_entry", "catalogue_item"):
        op.execute(f'DELETE FROM procurement."{name}"')
