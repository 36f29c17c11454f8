"""HTTP glue shared by the features: apply a transition from a request; event history routes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request

from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import PrincipalDep
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import DomainError, NotFound, responses
from jiuzhu_procurement.contractor.schemas import TransitionIn
from jiuzhu_procurement.workflow.machine import Machine, TransitionNotAllowed, run


async def apply(
    request: Request,
    session: Any,
    principal: Any,
    machine: Machine,
    model: type[Any],
    entity_id: uuid.UUID,
    body: TransitionIn,
    not_found: type[DomainError],
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
        authorization=request.headers.get("authorization"),
        jurisdiction_of=jurisdiction_of,
    )


TRANSITION_ERRORS = responses(TransitionNotAllowed)

# A loader checks the caller may read the aggregate (404 otherwise) and returns its audit id.
Loader = Callable[[Any, Any, str], Awaitable[Any]]


def by_uuid(get: Callable[[Any, Any, uuid.UUID], Awaitable[Any]], not_found: type[NotFound]) -> Loader:
    """The loader of an aggregate keyed by UUID: `get(session, principal, id)` 404s what the caller may
    not read; a key that is not a UUID is `not_found` too."""

    async def load(session: Any, principal: Any, key: str) -> Any:
        try:
            agg_id = uuid.UUID(key)
        except ValueError as exc:
            raise not_found() from exc
        return (await get(session, principal, agg_id)).id

    return load


def add_event_routes(
    router: APIRouter, path: str, aggregate: str, loader: Loader, not_found: type[NotFound]
) -> None:
    """GET {path}/events and {path}/events/verify for one aggregate."""

    async def events(
        request: Request, session: SessionDep, principal: PrincipalDep, key: str
    ) -> list[AuditEventOut]:
        agg_id = await loader(session, principal, key)
        return await history_of(request, session, aggregate, agg_id)

    async def verify(request: Request, session: SessionDep, principal: PrincipalDep, key: str) -> VerifyOut:
        agg_id = await loader(session, principal, key)
        return await verify_of(request, session, aggregate, agg_id)

    events.__doc__ = f"Every audit event of this {aggregate} (who, when, why, what changed)."
    verify.__doc__ = (
        f"Recompute this {aggregate}'s hash chain; `ok` is false if any event was altered or removed."
    )
    router.add_api_route(
        f"{path}/events",
        events,
        methods=["GET"],
        response_model=list[AuditEventOut],
        responses=responses(not_found),
        name=f"{aggregate}_events",
    )
    router.add_api_route(
        f"{path}/events/verify",
        verify,
        methods=["GET"],
        response_model=VerifyOut,
        responses=responses(not_found),
        name=f"{aggregate}_events_verify",
    )
