from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, RoleForbidden, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.documents.api import DocumentOut
from jiuzhu_kit.documents.generated import generate
from jiuzhu_kit.errors import responses
from jiuzhu_kit.listing import (
    DivisionFilter,
    RangeInverted,
    TextFilter,
    YearFilter,
    equal,
    in_division,
    matching,
)
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_procurement.plan import document, repository, service
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.plan.policy import POLICY
from jiuzhu_procurement.plan.schemas import PlanIn, PlanLinesIn, PlanOut, PlanStatus
from jiuzhu_procurement.workflow.http import TRANSITION_ERRORS, add_event_routes, apply, by_uuid
from jiuzhu_procurement.workflow.schemas import TransitionIn

router = APIRouter(prefix="/plans", tags=["plans"])

Purchaser = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP))]
Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))]


@router.post(
    "",
    response_model=PlanOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(JurisdictionForbidden, service.PlanExists),
)
async def create_plan(request: Request, session: SessionDep, principal: Purchaser, body: PlanIn) -> PlanOut:
    """Draft the annual purchase plan of a purchaser, one budget line per funding source."""
    plan = await service.create(session, request.app.state.audit, principal, body)
    return await service.out(session, plan)


@router.get("", response_model=CursorPage[PlanOut], responses=responses(CursorInvalid, RangeInverted))
async def list_plans(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    year: YearFilter = None,
    status_: Annotated[PlanStatus | None, Query(alias="status")] = None,
    q: TextFilter = None,
) -> CursorPage[PlanOut]:
    """Purchase plans in your jurisdiction, latest year first, with each line's committed amounts."""
    query = in_division(
        POLICY.narrow(principal, select(PurchasePlan)), PurchasePlan.division_code, division_code
    )
    query = matching(
        equal(equal(query, PurchasePlan.year, year), PurchasePlan.status, status_), q, PurchasePlan.title
    )
    cols = (PurchasePlan.year, PurchasePlan.created_at, PurchasePlan.id)
    rows = (await session.execute(keyset(query, page, *cols))).scalars().all()
    outs = {r.id: await service.out(session, r) for r in rows[: page.limit]}
    return cursor_page(
        rows,
        page,
        lambda r: (r.year, r.created_at, r.id),
        lambda r: outs[r.id],
        keep=lambda r: POLICY.may_read(principal, r),
    )


@router.get("/{plan_id}", response_model=PlanOut, responses=responses(service.PlanNotFound))
async def get_plan(session: SessionDep, principal: Reader, plan_id: uuid.UUID) -> PlanOut:
    """The plan with each line's committed and remaining amounts."""
    return await service.out(session, await service.get(session, principal, plan_id))


@router.put(
    "/{plan_id}/budget-lines",
    response_model=PlanOut,
    responses=responses(service.PlanNotFound, service.PlanNotEditable),
)
async def replace_lines(
    request: Request, session: SessionDep, principal: Purchaser, plan_id: uuid.UUID, body: PlanLinesIn
) -> PlanOut:
    """Replace the plan's budget lines (funding source and amount) while it is a draft; audited."""
    plan = await service.replace_lines(
        session, request.app.state.audit, principal, plan_id, body.budget_lines
    )
    return await service.out(session, plan)


@router.post(
    "/{plan_id}/transitions",
    response_model=PlanOut,
    responses={**TRANSITION_ERRORS, **responses(service.PlanNotFound)},
)
async def transition_plan(
    request: Request, session: SessionDep, principal: PrincipalDep, plan_id: uuid.UUID, body: TransitionIn
) -> PlanOut:
    """submit (purchaser) → approve / reject (finance) → revise; see `GET /workflows/plan`."""
    plan = await apply(
        request,
        session,
        principal,
        service.MACHINE,
        PurchasePlan,
        plan_id,
        body,
        service.PlanNotFound,
        POLICY.readable,
    )
    return await service.out(session, plan)


@router.post(
    "/{plan_id}/documents/generated",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(service.PlanNotFound, RoleForbidden),
)
async def generate_plan_document(
    request: Request, session: SessionDep, principal: Purchaser, plan_id: uuid.UUID
) -> DocumentOut:
    """The annual purchase plan as .docx (templates/annual_plan.yaml: the purchaser from the
    registry, each budget line with what projects committed of it), stored as the plan's document:
    a new version superseding the last when the plan changed since, else the same one. Once
    generated, later writes to the plan or its projects regenerate it before they commit."""
    plan = POLICY.check(principal, await repository.load(session, plan_id))
    return await generate(request, session, principal, document.GENERATOR, str(plan.id))


add_event_routes(router, "/{plan_id}", POLICY, by_uuid(repository.load))
