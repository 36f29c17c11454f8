"""HTTP glue shared by the features: apply a transition from a request; event history routes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import PrincipalDep, RoleForbidden
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import DomainError, responses
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_procurement.workflow.machine import Machine, Readable, TransitionNotAllowed, run
from jiuzhu_procurement.workflow.schemas import TransitionIn


async def apply(
    request: Request,
    session: Any,
    principal: Any,
    machine: Machine,
    model: type[Any],
    entity_id: uuid.UUID,
    body: TransitionIn,
    not_found: type[DomainError],
    readable: Readable,
    jurisdiction_of: Callable[[Any], str] | None = None,
) -> Any:
    return await run(
        session=session,
        audit=request.app.state.audit,
        machine=machine,
        model=model,
        entity_id=entity_id,
        target=body.to,
        principal=principal,
        reason=body.reason,
        raw_payload=body.data,
        today=today(),
        app=request.app,
        not_found=not_found,
        readable=readable,
        authorization=request.headers.get("authorization"),
        jurisdiction_of=jurisdiction_of,
    )


TRANSITION_ERRORS = responses(TransitionNotAllowed)

# A loader finds an aggregate by the key in the path (None if absent or malformed); the aggregate's
# read policy then decides what the caller sees of it.
Loader = Callable[[Any, str], Awaitable[Any]]


def by_uuid(load: Callable[[Any, uuid.UUID], Awaitable[Any]]) -> Loader:
    """The loader of an aggregate keyed by UUID: a key that is not a UUID finds nothing."""

    async def find(session: Any, key: str) -> Any:
        try:
            agg_id = uuid.UUID(key)
        except ValueError:
            return None
        return await load(session, agg_id)

    return find


def add_event_routes(router: APIRouter, path: str, policy: ReadPolicy[Any], loader: Loader) -> None:
    """GET {path}/events and {path}/events/verify for one aggregate, both decided by its read policy:
    readable by exactly those who may read the aggregate, showing only the fields they may see.
    The path's last parameter names the key (`/projects/{project_id}`), as on the aggregate's reads."""
    aggregate = policy.aggregate
    param = path.rsplit("{", 1)[1].rstrip("}")
    key_type = Annotated[str, Path(alias=param, description=f"the {aggregate}'s key, as on its own read")]

    async def events(
        request: Request, session: SessionDep, principal: PrincipalDep, key: str
    ) -> list[AuditEventOut]:
        row = await loader(session, key)
        return await history_of(request, session, policy, principal, row, getattr(row, "id", None))

    async def verify(request: Request, session: SessionDep, principal: PrincipalDep, key: str) -> VerifyOut:
        row = await loader(session, key)
        return await verify_of(request, session, policy, principal, row, getattr(row, "id", None))

    for endpoint in (events, verify):
        endpoint.__annotations__["key"] = key_type  # the alias is per aggregate: set after def
    events.__doc__ = (
        f"Every audit event of this {aggregate} (who, when, why, what changed), as you may see it."
    )
    verify.__doc__ = (
        f"Recompute this {aggregate}'s hash chain; `ok` is false if any event was altered or removed."
    )
    refusals = responses(policy.not_found, RoleForbidden)
    router.add_api_route(
        f"{path}/events",
        events,
        methods=["GET"],
        response_model=list[AuditEventOut],
        responses=refusals,
        name=f"list_{aggregate}_events",
    )
    router.add_api_route(
        f"{path}/events/verify",
        verify,
        methods=["GET"],
        response_model=VerifyOut,
        responses=refusals,
        name=f"verify_{aggregate}_events",
    )
