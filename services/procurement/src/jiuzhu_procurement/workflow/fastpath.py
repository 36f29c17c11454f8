"""The transition hot path as plain statements on an asyncpg connection in a transaction.

The ORM costs more CPU than the SQL it sends; a transition is the service's busiest write, so the
locked read, the update of changed columns and the audit append (the kit's `AuditLog.append`) run
as plain statements: on the connection under the request's session (`session_driver`, same
transaction), or on a write-pool connection when a lean route serves the request (lean.py).
Handlers still get an ORM entity (detached) and the session for anything else.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import make_transient_to_detached

from jiuzhu_kit.audit import normalize


def _qualified(model: type[Any]) -> str:
    table = model.__table__
    return f'"{table.schema}"."{table.name}"'


async def lock_row(con: Any, model: type[Any], entity_id: Any) -> dict[str, Any] | None:
    """SELECT … FOR UPDATE: the row's column values."""
    sql = f"SELECT * FROM {_qualified(model)} WHERE id = $1 FOR UPDATE"  # noqa: S608 (names from our models)
    row = await con.fetchrow(sql, entity_id)
    return None if row is None else dict(row.items())


def detached(model: type[Any], values: dict[str, Any]) -> Any:
    """A detached ORM object, as if freshly loaded (no pending history), so handlers may read and
    set its attributes and use it with the session."""
    entity = model(**values)
    make_transient_to_detached(entity)
    return entity


def _param(model: type[Any], column: str, value: Any) -> Any:
    # SQLAlchemy's asyncpg codec for JSONB takes JSON text.
    if value is not None and isinstance(model.__table__.c[column].type, JSONB):
        return json.dumps(normalize(value), ensure_ascii=False)
    return value


async def update_changed(con: Any, model: type[Any], entity_id: Any, changed: dict[str, Any]) -> None:
    if not changed:
        return
    cols = list(changed)
    sets = ", ".join(f'"{c}" = ${i}' for i, c in enumerate(cols, start=2))
    await con.execute(
        f"UPDATE {_qualified(model)} SET {sets} WHERE id = $1",  # noqa: S608
        entity_id,
        *(_param(model, c, changed[c]) for c in cols),
    )
