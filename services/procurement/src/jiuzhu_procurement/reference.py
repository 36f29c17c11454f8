"""`load(database_url)`: upsert this service's reference data (called by `make run` after migrating).

Migration 0003 loads the same rows into a fresh database; this keeps an existing one current when
the data in `catalogue/data.py` changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import create_async_engine

from jiuzhu_kit.settings import to_async_url
from jiuzhu_procurement.catalogue import data
from jiuzhu_procurement.catalogue.models import CatalogueItem, NegativeListEntry, Threshold


def batches() -> list[tuple[Table, list[dict[str, Any]], list[str]]]:
    return [
        (CatalogueItem.__table__, data.catalogue_rows(), ["code", "valid_from"]),  # type: ignore[list-item]
        (NegativeListEntry.__table__, data.NEGATIVE, ["code", "valid_from"]),  # type: ignore[list-item]
        (Threshold.__table__, data.THRESHOLDS, ["region", "kind", "valid_from"]),  # type: ignore[list-item]
    ]


async def _load(database_url: str) -> None:
    engine = create_async_engine(to_async_url(database_url))
    try:
        async with engine.begin() as conn:
            for table, rows, keys in batches():
                for row in rows:
                    stmt = insert(table).values(**row)
                    update = {k: stmt.excluded[k] for k in row if k not in keys}
                    await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update))
    finally:
        await engine.dispose()


def load(database_url: str) -> None:
    asyncio.run(_load(database_url))
