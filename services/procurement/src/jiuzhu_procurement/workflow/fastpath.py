"""The transition hot path on the session's own asyncpg connection (same transaction).

The ORM costs more CPU than the SQL it sends; a transition is the service's busiest write, so the
locked read, the update of changed columns and the audit append run as plain statements on the
connection SQLAlchemy already opened (and began) for this request. The audit row is the kit's
exact format (same hash chain, same advisory lock key), so `AuditLog.verify` checks it unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from jiuzhu_kit.audit import GENESIS, Actor, AuditLog, _hashed_fields, diff, event_hash, normalize
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.observability import request_id_var


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


async def append_event(
    session: AsyncSession,
    audit: AuditLog,
    *,
    aggregate_type: str,
    aggregate_id: Any,
    action: str,
    actor: Actor | Principal | None,
    data: Any = None,
    before: Any = None,
    reason: str | None = None,
    jurisdiction: str | None = None,
) -> None:
    """`AuditLog.append`, statement for statement, on the driver connection."""
    who = actor if isinstance(actor, Actor) else Actor.of(actor)
    agg_id = str(aggregate_id)
    table = f'"{audit.table.schema}"."{audit.table.name}"'
    con = await driver(session)
    await con.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"audit:{aggregate_type}:{agg_id}"
    )
    last = await con.fetchrow(
        f"SELECT seq, hash FROM {table} WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY seq DESC LIMIT 1",  # noqa: S608
        aggregate_type,
        agg_id,
    )
    seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
    after_n, before_n = normalize(data), normalize(before)
    changes = diff(before_n, after_n) if isinstance(before_n, dict) and isinstance(after_n, dict) else None
    row: dict[str, Any] = {
        "aggregate_type": aggregate_type,
        "aggregate_id": agg_id,
        "seq": seq,
        "action": action,
        "actor": who.sub,
        "actor_roles": who.roles,
        "jurisdiction": jurisdiction or who.division,
        "request_id": request_id_var.get(),
        "reason": reason,
        "occurred_at": datetime.now(UTC),
        "data": after_n,
        "changes": changes,
    }
    digest = event_hash(prev, _hashed_fields(row))
    await con.execute(
        f"INSERT INTO {table} (aggregate_type, aggregate_id, seq, action, actor, actor_roles, jurisdiction,"  # noqa: S608
        " request_id, reason, occurred_at, data, changes, prev_hash, hash)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        aggregate_type,
        agg_id,
        seq,
        action,
        who.sub,
        who.roles,
        row["jurisdiction"],
        row["request_id"],
        reason,
        row["occurred_at"],
        json.dumps(after_n, ensure_ascii=False),
        json.dumps(changes, ensure_ascii=False) if changes is not None else None,
        prev,
        digest,
    )
