"""Append-only audit log, hash-chained per aggregate.

Every write appends one event: actor, roles, jurisdiction, time, action, reason, the aggregate's
state after the write and what changed. Each event's hash covers its content and the previous
event's hash, so editing or deleting a row breaks `verify`. Any past version is the `data` of
its event.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import clock
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.db import session_driver
from jiuzhu_kit.observability import request_id_var
from jiuzhu_kit.policy import ReadPolicy

GENESIS = "0" * 64
_SNAPSHOT: Any = object()  # record(): the entity's columns
_COLUMN_KEYS: dict[type[Any], tuple[str, ...]] = {}


def snapshot(entity: Any) -> dict[str, Any]:
    """Column values of an ORM row (what an audit event stores as `data`)."""
    model = type(entity)
    keys = _COLUMN_KEYS.get(model)
    if keys is None:
        keys = _COLUMN_KEYS[model] = tuple(attr.key for attr in sa_inspect(model).column_attrs)
    return {key: getattr(entity, key) for key in keys}


def normalize(value: Any) -> Any:
    """JSON-safe form that survives a JSONB round trip unchanged (no floats: they are rewritten)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return normalize(value.value)
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [normalize(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "model_dump"):
        return normalize(value.model_dump(mode="json"))
    return str(value)


def _normalize_after(after: Any, before: Any, before_n: Any) -> Any:
    """normalize(after), reusing before's normalized values where after holds the very same object
    (most columns of an aggregate do not change in a write; normalizing them twice was measurable)."""
    if not (isinstance(after, dict) and isinstance(before, dict) and isinstance(before_n, dict)):
        return normalize(after)
    missing = object()
    out = {}
    for k, v in after.items():
        key = str(k)
        same = isinstance(k, str) and before.get(k, missing) is v
        out[key] = before_n[key] if same else normalize(v)
    return out


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    b, a = before or {}, after or {}
    return {k: [b.get(k), a.get(k)] for k in sorted(set(b) | set(a)) if b.get(k) != a.get(k)}


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(fields)).hexdigest()


def hashed_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The fields an event's hash covers, in canonical form."""
    at = row["occurred_at"]
    return {
        "aggregate_type": row["aggregate_type"],
        "aggregate_id": row["aggregate_id"],
        "seq": row["seq"],
        "action": row["action"],
        "actor": row["actor"],
        "actor_roles": row["actor_roles"],
        "jurisdiction": row["jurisdiction"],
        "request_id": row["request_id"],
        "reason": row["reason"],
        "occurred_at": at.astimezone(UTC).isoformat() if isinstance(at, datetime) else at,
        "data": row["data"],
        "changes": row["changes"],
    }


_INSERT_COLUMNS = (
    "aggregate_type",
    "aggregate_id",
    "seq",
    "action",
    "actor",
    "actor_roles",
    "jurisdiction",
    "request_id",
    "reason",
    "occurred_at",
    "data",
    "changes",
    "prev_hash",
    "hash",
)


async def _driver(db: AsyncSession | Any) -> Any:
    """The asyncpg connection to append on: the session's (its transaction begun if need be), or
    `db` itself when it already is one (a write-pool connection in a transaction, lean.py)."""
    if isinstance(db, AsyncSession):
        return await session_driver(db)
    return db


def _json(value: Any) -> str | None:
    # SQLAlchemy's asyncpg JSONB codec takes JSON text.
    return None if value is None else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Actor:
    sub: str
    roles: str
    division: str | None

    @classmethod
    def of(cls, principal: Principal | None, fallback: str = "anonymous") -> Actor:
        if principal is None:
            return cls(sub=fallback, roles="", division=None)
        return cls(sub=principal.sub, roles=",".join(sorted(principal.roles)), division=principal.division)


SYSTEM = Actor(sub="system", roles="system", division=None)

_TOUCHED = "jiuzhu.touched"


def touched(session: AsyncSession) -> dict[tuple[str, str], tuple[str, Actor]]:
    """The aggregates this session's transaction appended events to: (type, id) → (its last action,
    who acted). What runs before the commit (documents/generated.py) reads it; a plain dict in
    `session.info`, so recording costs a dict write per append."""
    found: dict[tuple[str, str], tuple[str, Actor]] = session.sync_session.info.setdefault(_TOUCHED, {})
    return found


class AuditLog:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def append(
        self,
        session: AsyncSession | Any,
        *,
        aggregate_type: str,
        aggregate_id: Any,
        action: str,
        actor: Actor | Principal | None,
        data: Any = None,
        before: Any = None,
        reason: str | None = None,
        jurisdiction: str | None = None,
        row_locked: bool = False,
    ) -> dict[str, Any]:
        """Append one event in the session's transaction (or on the asyncpg connection given).

        Writers of one aggregate must not fork the chain: pass `row_locked=True` only when the caller
        holds the aggregate's row lock (SELECT … FOR UPDATE), otherwise an advisory lock serialises
        them. The unique (aggregate, seq) constraint is the last line of defence either way.
        Runs on the session's own asyncpg connection: this is every write's hot path.
        """
        who = actor if isinstance(actor, Actor) else Actor.of(actor)
        agg_id = str(aggregate_id)
        con = await _driver(session)  # begins the transaction if the caller has not yet
        if isinstance(session, AsyncSession):
            touched(session)[(aggregate_type, agg_id)] = (action, who)
        if not row_locked:
            await con.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"audit:{aggregate_type}:{agg_id}"
            )
        last = await con.fetchrow(self._last_sql, aggregate_type, agg_id)
        seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
        before_n = normalize(before)
        after_n = _normalize_after(data, before, before_n)
        changes = (
            diff(before_n, after_n) if isinstance(before_n, dict) and isinstance(after_n, dict) else None
        )
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
            "occurred_at": clock.now(),
            "data": after_n,
            "changes": changes,
        }
        row["prev_hash"] = prev
        row["hash"] = event_hash(prev, hashed_fields(row))
        await con.execute(
            self._insert_sql,
            *(row[c] for c in _INSERT_COLUMNS[:10]),
            _json(after_n),
            _json(changes),
            prev,
            row["hash"],
        )
        return row

    async def record(
        self,
        session: AsyncSession | Any,
        policy: ReadPolicy[Any],
        entity: Any,
        action: str,
        actor: Actor | Principal | None,
        *,
        data: Any = _SNAPSHOT,
        before: Any = None,
        reason: str | None = None,
        jurisdiction: str | None = None,
        row_locked: bool = False,
    ) -> dict[str, Any]:
        """Append one event of `entity`, the aggregate its read policy names: the aggregate type
        and the jurisdiction come from the policy (one decision per aggregate), the id from the
        entity, the data from its columns unless given."""
        return await self.append(
            session,
            aggregate_type=policy.aggregate,
            aggregate_id=entity.id,
            action=action,
            actor=actor,
            data=snapshot(entity) if data is _SNAPSHOT else data,
            before=before,
            reason=reason,
            jurisdiction=jurisdiction if jurisdiction is not None else policy.division_of(entity),
            row_locked=row_locked,
        )

    @property
    def _qualified(self) -> str:
        return f'"{self.table.schema}"."{self.table.name}"'

    @property
    def _last_sql(self) -> str:
        return (
            f"SELECT seq, hash FROM {self._qualified} WHERE aggregate_type = $1 AND aggregate_id = $2"  # noqa: S608
            " ORDER BY seq DESC LIMIT 1"
        )

    @property
    def _insert_sql(self) -> str:
        cols = ", ".join(_INSERT_COLUMNS)
        params = ", ".join(f"${i}" for i in range(1, len(_INSERT_COLUMNS) + 1))
        return f"INSERT INTO {self._qualified} ({cols}) VALUES ({params})"  # noqa: S608

    async def history(
        self, session: AsyncSession, aggregate_type: str, aggregate_id: Any
    ) -> list[dict[str, Any]]:
        rows = await session.execute(
            select(self.table)
            .where(
                self.table.c.aggregate_type == aggregate_type, self.table.c.aggregate_id == str(aggregate_id)
            )
            .order_by(self.table.c.seq)
        )
        return [dict(r._mapping) for r in rows]

    async def verify(self, session: AsyncSession, aggregate_type: str, aggregate_id: Any) -> VerifyResult:
        events = await self.history(session, aggregate_type, aggregate_id)
        return verify_chain(events)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    broken_at_seq: int | None = None
    reason: str | None = None
    head_hash: str | None = None


def verify_chain(events: list[dict[str, Any]]) -> VerifyResult:
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        if ev["seq"] != expected_seq:
            return VerifyResult(False, len(events), ev["seq"], "sequence gap (an event was removed)")
        if ev["prev_hash"] != prev:
            return VerifyResult(False, len(events), ev["seq"], "previous-hash mismatch")
        if event_hash(prev, hashed_fields(ev)) != ev["hash"]:
            return VerifyResult(
                False, len(events), ev["seq"], "content does not match its hash (row altered)"
            )
        prev = ev["hash"]
    return VerifyResult(True, len(events), None, None, prev if events else None)
