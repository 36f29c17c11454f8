from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from jiuzhu_kit.auth import Principal, PrincipalDep, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.listing import DateFilter, DivisionFilter, RangeInverted, equal, in_division, in_range
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_procurement.contractor.service import ContractorNotFound, get_by_uscc
from jiuzhu_procurement.debarment import machine, service
from jiuzhu_procurement.debarment.models import Debarment
from jiuzhu_procurement.debarment.policy import POLICY, DebarmentNotFound
from jiuzhu_procurement.debarment.schemas import DebarmentOut, DebarmentReportIn
from jiuzhu_procurement.workflow.http import TRANSITION_ERRORS, add_event_routes, apply, by_uuid
from jiuzhu_procurement.workflow.schemas import TransitionIn

# The cases are served with the contractor registry (same tag, same paths as before they had a folder).
router = APIRouter(tags=["contractors"])

Reporter = Annotated[Principal, Depends(require_roles(*machine.BUREAU_REPORTERS))]


@router.post(
    "/contractors/{uscc}/debarments",
    response_model=DebarmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(ContractorNotFound),
)
async def report_debarment(
    request: Request, session: SessionDep, principal: Reporter, uscc: Uscc, body: DebarmentReportIn
) -> DebarmentOut:
    """Open a debarment case; the contractor may respond within the stated working days (陈述申辩)."""
    c = await get_by_uscc(session, uscc)
    start = today()
    cal = await request.app.state.calendar_store.load(session, start, start + timedelta(days=90))
    due = cal.add_working_days(start, body.response_working_days)
    d = await service.report(session, request.app.state.audit, principal, c, body, start, due)
    return DebarmentOut.model_validate(d)


_load_debarment = by_uuid(service.load)


@router.get(
    "/debarments", response_model=CursorPage[DebarmentOut], responses=responses(CursorInvalid, RangeInverted)
)
async def list_debarments(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^[a-z_]{1,20}$")] = None,
    contractor_uscc: Annotated[Uscc | None, Query()] = None,
    as_of: Annotated[
        date | None, Query(alias="on", description="在该日生效的禁止 (in effect on this day)")
    ] = None,
    reported_from: DateFilter = None,
    reported_to: DateFilter = None,
) -> CursorPage[DebarmentOut]:
    """Debarment cases you may read (the reporting side in its jurisdiction, the contractor its own),
    newest first. The public list of debarments in effect is the disclosure route."""
    q = in_division(POLICY.narrow(principal, select(Debarment)), Debarment.division_code, division_code)
    q = equal(equal(q, Debarment.status, status_), Debarment.uscc, contractor_uscc)
    if as_of is not None:
        q = q.where(Debarment.effective_from <= as_of, Debarment.effective_until >= as_of)
    q = in_range(q, Debarment.reported_on, reported_from, reported_to, "reported")
    rows = (await session.execute(keyset(q, page, Debarment.created_at, Debarment.id))).scalars().all()
    return cursor_page(
        rows,
        page,
        lambda d: (d.created_at, d.id),
        DebarmentOut.model_validate,
        keep=lambda d: POLICY.may_read(principal, d),
    )


@router.get("/debarments/{debarment_id}", response_model=DebarmentOut, responses=responses(DebarmentNotFound))
async def get_debarment(session: SessionDep, principal: PrincipalDep, debarment_id: str) -> DebarmentOut:
    """One debarment (不良行为记录): who, why, from when until when, and its state."""
    return DebarmentOut.model_validate(POLICY.check(principal, await _load_debarment(session, debarment_id)))


@router.post(
    "/debarments/{debarment_id}/transitions",
    response_model=DebarmentOut,
    responses={
        **TRANSITION_ERRORS,
        **responses(
            DebarmentNotFound,
            machine.ResponsePeriodOpen,
            machine.DebarmentTermOutOfBand,
            machine.DebarmentTermFixed,
        ),
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
        machine.MACHINE,
        Debarment,
        debarment_id,
        body,
        DebarmentNotFound,
        POLICY.readable,
        jurisdiction,
    )
    return DebarmentOut.model_validate(d)


add_event_routes(router, "/debarments/{debarment_id}", POLICY, _load_debarment)
