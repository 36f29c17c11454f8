"""The transition hot path on the session's own asyncpg connection (same transaction).

The ORM costs more CPU than the SQL it sends; a transition is the service's busiest write, so the
locked read, the update of changed columns and the audit append run as plain statements on the
connection SQLAlchemy already opened (and began) for this request; the audit event is appended by
the kit's `AuditLog.append`, which also runs on that connection.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from jiuzhu_kit.audit import normalize


async def driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session (only after a statement began the transaction)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


def _qualified(model: type[Any]) -> str:
    table = model.__table__
    return f'"{table.schema}"."{table.name}"'


async def lock_row(session: AsyncSession, model: type[Any], entity_id: Any) -> Any | None:
    """SELECT … FOR UPDATE through SQLAlchemy (this begins the transaction); a detached ORM object."""
    sql = f"SELECT * FROM {_qualified(model)} WHERE id = :id FOR UPDATE"  # noqa: S608 (names from our models)
    row = (await session.execute(text(sql), {"id": entity_id})).mappings().first()
    if row is None:
        return None
    entity = model(**dict(row))
    make_transient_to_detached(entity)  # history reset: as if freshly loaded, not in the session
    return entity


def _param(model: type[Any], column: str, value: Any) -> Any:
    from sqlalchemy.dialects.postgresql import JSONB

    if isinstance(model.__table__.c[column].type, JSONB) and value is not None:
        return json.dumps(normalize(value), ensure_ascii=False)
    return value


async def update_changed(
    session: AsyncSession, model: type[Any], entity_id: Any, changed: dict[str, Any]
) -> None:
    if not changed:
        return
    cols = list(changed)
    sets = ", ".join(f'"{c}" = ${i}' for i, c in enumerate(cols, start=2))
    con = await driver(session)
    await con.execute(
        f"UPDATE {_qualified(model)} SET {sets} WHERE id = $1",  # noqa: S608
        entity_id,
        *(_param(model, c, changed[c]) for c in cols),
    )
