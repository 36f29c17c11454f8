"""Response shapes and helpers for an aggregate's event history and chain verification.

Both go through the aggregate's read policy: a history is readable by exactly those who may read
the aggregate, and shows them only the fields they may see (jiuzhu_kit.policy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog, VerifyResult, verify_chain
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.policy import ReadPolicy


class AuditEventOut(BaseModel):
    """审计事件 One event of a record's hash-chained audit history."""

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
    """核验 Whether a record's audit hash chain is intact."""

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
    request: Request,
    session: AsyncSession,
    policy: ReadPolicy[Any],
    principal: Principal,
    row: Any,
    aggregate_id: Any,
) -> list[AuditEventOut]:
    """The history of `row` as `principal` may see it (refused as the policy refuses a read)."""
    policy.check(principal, row, history=True)
    rows = await _audit(request).history(session, policy.aggregate, aggregate_id)
    return [AuditEventOut.model_validate(r) for r in policy.history(principal, row, rows)]


async def verify_of(
    request: Request,
    session: AsyncSession,
    policy: ReadPolicy[Any],
    principal: Principal,
    row: Any,
    aggregate_id: Any,
) -> VerifyOut:
    """Recompute the chain of `row` for a reader who may read its history, and check that every
    document it records is still stored as recorded."""
    policy.check(principal, row, history=True)
    events = await _audit(request).history(session, policy.aggregate, aggregate_id)
    res = verify_chain(events)
    documents = getattr(request.app.state, "documents", None)
    if res.ok and documents is not None:
        # The chain holds each document's hash: a stored file replaced since breaks it too.
        from jiuzhu_kit.documents.api import verify_documents

        broken = await verify_documents(documents.store, events)
        if broken is not None:
            res = VerifyResult(False, res.events, broken[0], broken[1], res.head_hash)
    return VerifyOut(
        aggregate_type=policy.aggregate,
        aggregate_id=str(aggregate_id),
        ok=res.ok,
        events=res.events,
        broken_at_seq=res.broken_at_seq,
        reason=res.reason,
        head_hash=res.head_hash,
    )
