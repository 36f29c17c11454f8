"""Declarative state machines: one table per aggregate, one named handler per legal (from, to).

The table is data: `Machine.TRANSITIONS` (from → allowed targets) is derived from the list of
`Transition`s, rendered as Mermaid by the API and checked by tests. `run` applies one transition
in the request's transaction with the row locked (SELECT … FOR UPDATE), after the role and
jurisdiction checks, and appends one audit event (who, when, why, what changed). Anything not in
the table is refused with 409 TRANSITION_NOT_ALLOWED.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import clock
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.audit import snapshot as snapshot  # re-exported: the features' audit data
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, RoleForbidden
from jiuzhu_kit.db import session_driver
from jiuzhu_kit.errors import BadRequest, Conflict, DomainError, FieldError, ValidationFailed
from jiuzhu_procurement.workflow import fastpath


class TransitionNotAllowed(Conflict):
    code = "TRANSITION_NOT_ALLOWED"
    zh = "{aggregate} 当前状态为 {source}，不能变更为 {target}（允许：{allowed}）"
    en = "{aggregate} is {source}; it cannot move to {target} (allowed: {allowed})"

    def extra(self) -> dict[str, Any]:
        return {"current_status": self.params.get("source"), "allowed": self.params.get("allowed_list", [])}


class ReasonRequired(BadRequest):
    code = "REASON_REQUIRED"
    zh = "此操作必须说明理由"
    en = "This action requires a reason"


class Row(SimpleNamespace):
    """An aggregate's column values as attributes: what a transition without a handler works on and
    returns (building the ORM object was ≈15% of the hot path's CPU, and nothing needs it there)."""


# Whether a caller may read a record: its read policy's `readable`, asked when a write comes from
# outside the record's jurisdiction (a record the caller cannot read must look absent).
Readable = Callable[[Principal, Any], bool]


def read_before(principal: Principal, row: Any) -> bool:
    """`readable` of a transition whose route has read the record through its read policy already."""
    return True


class NeedsSession(Exception):
    """Raised on a write-pool connection (lean route) when the transition has a handler, which
    works with the ORM session: nothing has been written; run it again with the session."""


class Stateful(Protocol):
    id: Any
    status: str
    division_code: str
    version: int


@dataclass
class Ctx:
    """What a handler may use: the locked entity, the caller, the validated payload, app services."""

    session: AsyncSession
    principal: Principal
    entity: Any
    payload: Any
    reason: str | None
    today: date
    app: Any  # FastAPI app state holder (calendar, settings, audit)
    authorization: str | None = None
    extra_events: list[dict[str, Any]] = field(default_factory=list)


Handler = Callable[[Ctx], Awaitable[None]]


async def _noop(ctx: Ctx) -> None:
    return None


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    name: str
    roles: frozenset[str]
    handler: Handler = _noop
    payload: type[BaseModel] | None = None
    reason_required: bool = False
    doc: str = ""


def t(
    source: str,
    target: str,
    name: str,
    roles: Iterable[str],
    handler: Handler = _noop,
    *,
    payload: type[BaseModel] | None = None,
    reason: bool = False,
    doc: str = "",
) -> Transition:
    return Transition(source, target, name, frozenset(str(r) for r in roles), handler, payload, reason, doc)


class Machine:
    def __init__(
        self, aggregate: str, label_zh: str, initial: str, transitions: Iterable[Transition]
    ) -> None:
        self.aggregate = aggregate
        self.label_zh = label_zh
        self.initial = initial
        self.table: dict[tuple[str, str], Transition] = {}
        for tr in transitions:
            key = (tr.source, tr.target)
            if key in self.table:
                raise ValueError(f"duplicate transition {key} in {aggregate}")
            self.table[key] = tr
        targets: dict[str, set[str]] = {}
        for s, d in self.table:
            targets.setdefault(s, set()).add(d)
            targets.setdefault(d, set())
        self.TRANSITIONS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in targets.items()}

    @property
    def states(self) -> list[str]:
        return sorted(self.TRANSITIONS)

    def allowed(self, source: str) -> list[str]:
        return sorted(self.TRANSITIONS.get(source, frozenset()))

    def find(self, source: str, target: str) -> Transition:
        tr = self.table.get((source, target))
        if tr is None:
            allowed = self.allowed(source)
            raise TransitionNotAllowed(
                aggregate=self.label_zh,
                source=source,
                target=target,
                allowed=", ".join(allowed) or "—",
                allowed_list=allowed,
            )
        return tr

    def mermaid(self) -> str:
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for (s, d), tr in self.table.items():
            roles = ",".join(sorted(tr.roles))
            lines.append(f"    {s} --> {d}: {tr.name} [{roles}]")
        terminals = [s for s, ds in self.TRANSITIONS.items() if not ds]
        lines += [f"    {s} --> [*]" for s in sorted(terminals)]
        return "\n".join(lines)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "from": s,
                "to": d,
                "name": tr.name,
                "roles": sorted(tr.roles),
                "reason_required": tr.reason_required,
                "payload_schema": tr.payload.model_json_schema() if tr.payload else None,
                "doc": tr.doc,
            }
            for (s, d), tr in self.table.items()
        ]


def parse_payload(tr: Transition, raw: dict[str, Any] | None) -> Any:
    if tr.payload is None:
        if raw:
            raise ValidationFailed(
                [FieldError(pointer="#/data", code="EXTRA_FORBIDDEN", detail="此状态变更不接受附加数据")]
            )
        return None
    try:
        return tr.payload.model_validate(raw or {})
    except ValidationError as exc:
        errs = [
            FieldError(
                pointer="#/data/" + "/".join(str(p) for p in e["loc"]),
                code=str(e["type"]).upper(),
                detail=str(e["msg"]),
            )
            for e in exc.errors()
        ]
        raise ValidationFailed(errs) from exc


async def run(
    *,
    session: AsyncSession | None,
    audit: AuditLog,
    machine: Machine,
    model: type[Any],
    entity_id: uuid.UUID,
    target: str,
    principal: Principal,
    reason: str | None,
    raw_payload: dict[str, Any] | None,
    today: date,
    app: Any,
    not_found: type[DomainError],
    readable: Readable,
    authorization: str | None = None,
    jurisdiction_of: Callable[[Any], str] | None = None,
    con: Any = None,
    authority: str | None = None,
) -> Any:
    """Apply one transition to one row, locked for the whole transaction; audited. Returns the
    aggregate after it: the ORM object the handler worked on, or a `Row` when there was no handler.

    The statements go to `con` when given (a write-pool connection in a transaction; `session` is
    then None and a transition with a handler raises NeedsSession before writing anything), else to
    the session's own connection, in its transaction.

    From outside the record's jurisdiction the answer is the record's `not_found` when the caller
    may not read it (`readable`), else 403 JURISDICTION_FORBIDDEN.

    `authority` names another aggregate's transition that decided this one (see `follow`): the
    role check was that transition's, and this table still decides whether the move is legal."""
    if con is None:
        assert session is not None, "a transition runs on the session or on a connection"
        con = await session_driver(session)
    before = await fastpath.lock_row(con, model, entity_id)
    if before is None:
        raise not_found()  # the aggregate's own problem, as its routes declare it
    view = Row(**before)
    division = jurisdiction_of(view) if jurisdiction_of else view.division_code
    if not principal.covers(division):
        # House rule: a record the caller may not read looks absent here as on every read path (its
        # 404: a 403 would confirm it exists); one it reads but does not govern is forbidden.
        if not readable(principal, view):
            raise not_found()
        raise JurisdictionForbidden(division=division)
    tr = machine.find(view.status, target)
    if authority is None and not (principal.roles & (tr.roles | {Role.ADMIN})):
        raise RoleForbidden()
    if tr.reason_required and not (reason and reason.strip()):
        raise ReasonRequired()
    payload = parse_payload(tr, raw_payload)
    extra_events: list[dict[str, Any]] = []
    now = clock.now()
    if tr.handler is _noop:
        after = {**before, "status": target, "version": view.version + 1}
        if "updated_at" in before:
            after["updated_at"] = now
        entity: Any = Row(**after)
    else:
        if session is None:
            raise NeedsSession()
        entity = fastpath.detached(model, before)
        ctx = Ctx(session, principal, entity, payload, reason, today, app, authorization)
        await tr.handler(ctx)
        extra_events = ctx.extra_events
        entity.status = target
        entity.version = entity.version + 1
        if "updated_at" in before:
            entity.updated_at = now
        after = snapshot(entity)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    await fastpath.update_changed(con, model, entity.id, changed)
    # Through the session when there is one (the same connection): the commit then knows which
    # chains this transaction wrote (generated documents are regenerated before it).
    db = session if session is not None else con
    await audit.append(
        db,
        aggregate_type=machine.aggregate,
        aggregate_id=entity.id,
        action=f"{machine.aggregate}.{tr.name}",
        actor=principal,
        data=after,
        before=before,
        reason=f"{authority}：{reason}" if authority and reason else reason,
        jurisdiction=division,
        row_locked=True,  # this row is locked FOR UPDATE above
    )
    for ev in extra_events:
        await audit.append(db, actor=principal, **ev)
    return entity


async def follow(
    ctx: Ctx,
    machine: Machine,
    model: type[Any],
    entity_id: uuid.UUID,
    target: str,
    *,
    not_found: type[DomainError],
    readable: Readable,
    authority: str,
) -> Any:
    """Apply `machine`'s transition to another aggregate as the consequence of the one running in
    `ctx` (finance's decision on a complaint moves its project): the same lock, table, handler and
    audit as `run`, in the same transaction; the caller's transition made the role check, and the
    event's reason names it (`authority`)."""
    return await run(
        session=ctx.session,
        audit=ctx.app.state.audit,
        machine=machine,
        model=model,
        entity_id=entity_id,
        target=target,
        principal=ctx.principal,
        reason=ctx.reason,
        raw_payload=None,
        today=ctx.today,
        app=ctx.app,
        not_found=not_found,
        readable=readable,
        authorization=ctx.authorization,
        authority=authority,
    )
