"""Response shapes and helpers for an aggregate's event history and chain verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog


class AuditEventOut(BaseModel):
    seq: int
    action: str
    actor: str
    actor_roles: str
    jurisdiction: str | None
    request_id: str | None
    reason: str | None
    occurred_at: datetime
    data: Any
    changes: dict[str, Any] | None
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    aggregate_type: str
    aggregate_id: str
    ok: bool
    events: int
    broken_at_seq: int | None
    reason: str | None
    head_hash: str | None


def _audit(request: Request) -> AuditLog:
    audit = request.app.state.audit
    assert isinstance(audit, AuditLog)
    return audit


async def history_of(
    request: Request, session: AsyncSession, aggregate_type: str, aggregate_id: Any
) -> list[AuditEventOut]:
    rows = await _audit(request).history(session, aggregate_type, aggregate_id)
    return [AuditEventOut.model_validate(r) for r in rows]


async def verify_of(
    request: Request, session: AsyncSession, aggregate_type: str, aggregate_id: Any
) -> VerifyOut:
    res = await _audit(request).verify(session, aggregate_type, aggregate_id)
    return VerifyOut(
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        ok=res.ok,
        events=res.events,
        broken_at_seq=res.broken_at_seq,
        reason=res.reason,
        head_hash=res.head_hash,
    )
