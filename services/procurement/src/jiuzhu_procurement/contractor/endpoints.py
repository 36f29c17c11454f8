from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from jiuzhu_kit.auth import Principal, PrincipalDep, Role, RoleForbidden, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.pagination import Page, PageParams, page_params
from jiuzhu_procurement.contractor import debarment as deb
from jiuzhu_procurement.contractor import service
from jiuzhu_procurement.contractor.models import Debarment
from jiuzhu_procurement.contractor.policy import DEBARMENTS, POLICY, DebarmentNotFound
from jiuzhu_procurement.contractor.schemas import (
    ContractorIn,
    ContractorOut,
    DebarmentOut,
    DebarmentReportIn,
)
from jiuzhu_procurement.workflow.http import TRANSITION_ERRORS, add_event_routes, apply, by_uuid
from jiuzhu_procurement.workflow.schemas import TransitionIn

router = APIRouter(tags=["contractors"])

Registrar = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR, Role.BUREAU))]
Reporter = Annotated[Principal, Depends(require_roles(*deb.BUREAU_REPORTERS))]


@router.post(
    "/contractors",
    response_model=ContractorOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        service.InvalidUsccError, service.ContractorNotEligible, service.ContractorExists, RoleForbidden
    ),
)
async def register_contractor(
    request: Request, session: SessionDep, principal: Registrar, body: ContractorIn
) -> ContractorOut:
    """Register a contractor: the code's check character is verified (GB 32100-2015), the entity type is
    derived from it and must be one that may contract (社会组织、公益二类事业单位、企业)."""
    c = await service.register(session, request.app.state.audit, principal, body)
    return service.out(c, principal, None)


@router.get("/contractors", response_model=Page[ContractorOut])
async def list_contractors(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[ContractorOut]:
    rows, total = await service.search(session, q, page.limit, page.offset)
    items = [
        service.out(c, principal, await service.current_debarment(session, c.uscc, today())) for c in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/contractors/{uscc}", response_model=ContractorOut, responses=responses(service.ContractorNotFound)
)
async def get_contractor(session: SessionDep, principal: PrincipalDep, uscc: Uscc) -> ContractorOut:
    c = await service.get_by_uscc(session, uscc)
    return service.out(c, principal, await service.current_debarment(session, c.uscc, today()))


add_event_routes(router, "/contractors/{key}", POLICY, service.find_by_uscc)


@router.post(
    "/contractors/{uscc}/debarments",
    response_model=DebarmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(service.ContractorNotFound),
)
async def report_debarment(
    request: Request, session: SessionDep, principal: Reporter, uscc: Uscc, body: DebarmentReportIn
) -> DebarmentOut:
    """Open a debarment case; the contractor may respond within the stated working days (陈述申辩)."""
    c = await service.get_by_uscc(session, uscc)
    start = today()
    cal = await request.app.state.calendar_store.load(session, start, start + timedelta(days=90))
    due = cal.add_working_days(start, body.response_working_days)
    d = await service.report_debarment(session, request.app.state.audit, principal, c, body, start, due)
    return DebarmentOut.model_validate(d)


_load_debarment = by_uuid(service.find_debarment)


@router.get("/debarments/{debarment_id}", response_model=DebarmentOut, responses=responses(DebarmentNotFound))
async def get_debarment(session: SessionDep, principal: PrincipalDep, debarment_id: str) -> DebarmentOut:
    return DebarmentOut.model_validate(
        DEBARMENTS.check(principal, await _load_debarment(session, debarment_id))
    )


@router.post(
    "/debarments/{debarment_id}/transitions",
    response_model=DebarmentOut,
    responses={
        **TRANSITION_ERRORS,
        **responses(DebarmentNotFound, deb.ResponsePeriodOpen, deb.DebarmentTermOutOfBand),
    },
)
async def transition_debarment(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    debarment_id: uuid.UUID,
    body: TransitionIn,
) -> DebarmentOut:
    """Move a case along its table (`GET /workflows/debarment`): respond, debar (1–3 years), clear, revoke."""

    # The contractor answers a case opened in another division: jurisdiction is its own code.
    def jurisdiction(d: Debarment) -> str:
        return principal.division if principal.org == d.uscc else d.division_code

    d = await apply(
        request,
        session,
        principal,
        deb.MACHINE,
        Debarment,
        debarment_id,
        body,
        DebarmentNotFound,
        jurisdiction,
    )
    return DebarmentOut.model_validate(d)


add_event_routes(router, "/debarments/{key}", DEBARMENTS, _load_debarment)
