from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from jiuzhu_evaluation.staff import roster_check, service
from jiuzhu_evaluation.staff.models import StaffAssessment
from jiuzhu_evaluation.staff.policy import POLICY, NoAssessments
from jiuzhu_evaluation.staff.schemas import (
    AssessmentIn,
    AssessmentOut,
    OutcomesOut,
    RenewalOut,
    StaffOutcomes,
    YearOutcome,
)
from jiuzhu_evaluation.template import service as templates
from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.listing import DivisionFilter, YearFilter, equal, in_division
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_kit.rules.book import NoPackInForce, RuleNotInForce, book_of

router = APIRouter(prefix="/staff-assessments", tags=["staff assessments"])

Assessor = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))]
StaffRef = Annotated[str, Query(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


@router.post(
    "",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        service.AssessmentExists,
        service.NotStaffTemplate,
        roster_check.NotOnRoster,
        JurisdictionForbidden,
        templates.BuiltinNotSeeded,
        templates.TemplateNotFound,  # a `template_id` that names no template
        NoPackInForce,
        RuleNotInForce,
    ),
)
async def assess_staff(
    request: Request, session: SessionDep, principal: Assessor, body: AssessmentIn
) -> AssessmentOut:
    """The annual assessment of one dispatched staff member against a staff template (seed 000 四(三));
    without `template_id`, the staff template the rules in force in that year name. A `staff_ref` that is
    a UUID is a procurement roster worker's id and must be on this contract's roster."""
    principal.ensure_covers(body.division_code)  # before asking procurement anything
    await roster_check.check(
        request.app.state.settings.procurement_service_url, body, request.headers.get("authorization")
    )
    return AssessmentOut.model_validate(
        await service.assess(session, request.app.state.audit, principal, book_of(request), body)
    )


@router.get("", response_model=CursorPage[AssessmentOut], responses=responses(CursorInvalid))
async def list_assessments(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    contract_id: uuid.UUID | None = None,
    staff_ref: StaffRef | None = None,
    division_code: DivisionFilter = None,
    year: YearFilter = None,
    qualified: bool | None = None,
) -> CursorPage[AssessmentOut]:
    """Staff assessments in your jurisdiction, latest year first."""
    q = in_division(
        POLICY.narrow(principal, select(StaffAssessment)), StaffAssessment.division_code, division_code
    )
    q = equal(equal(q, StaffAssessment.contract_id, contract_id), StaffAssessment.staff_ref, staff_ref)
    q = equal(equal(q, StaffAssessment.year, year), StaffAssessment.qualified, qualified)
    cols = (StaffAssessment.year, StaffAssessment.assessed_at, StaffAssessment.id)
    rows = (await session.execute(keyset(q, page, *cols))).scalars().all()
    return cursor_page(rows, page, lambda a: (a.year, a.assessed_at, a.id), AssessmentOut.model_validate)


@router.get("/outcomes", response_model=OutcomesOut)
async def get_assessment_outcomes(
    session: SessionDep, principal: Reader, contract_id: uuid.UUID
) -> OutcomesOut:
    """Per staff member and year: qualified true/false — the input of staffing-calc's budget projection."""
    staff: dict[str, list[YearOutcome]] = {}
    for a in await service.listing(session, principal, contract_id):
        staff.setdefault(a.staff_ref, []).append(YearOutcome(year=a.year, qualified=a.qualified))
    return OutcomesOut(
        contract_id=contract_id, staff=[StaffOutcomes(staff_ref=k, years=v) for k, v in staff.items()]
    )


@router.get("/renewal", response_model=RenewalOut, responses=responses(service.NoAssessments))
async def get_renewal_assessment(
    request: Request, session: SessionDep, principal: Reader, contract_id: uuid.UUID, staff_ref: StaffRef
) -> RenewalOut:
    """Continue next year? Renew after the contract term (the rules' `staff_contract_years`, seed 000
    二(七): 3 years)? (seed 000 四(三))"""
    return await service.renewal(session, book_of(request), principal, contract_id, staff_ref)


@router.get("/{assessment_id}/events", response_model=list[AuditEventOut], responses=responses(NoAssessments))
async def assessment_events(
    request: Request, session: SessionDep, principal: PrincipalDep, assessment_id: uuid.UUID
) -> list[AuditEventOut]:
    """The assessment's history (recorded once; hash-chained)."""
    row = await session.get(StaffAssessment, assessment_id)
    return await history_of(request, session, POLICY, principal, row, assessment_id)


@router.get("/{assessment_id}/events/verify", response_model=VerifyOut, responses=responses(NoAssessments))
async def verify_assessment_events(
    request: Request, session: SessionDep, principal: PrincipalDep, assessment_id: uuid.UUID
) -> VerifyOut:
    """Check the staff assessment's audit hash chain: every event's SHA-256 recomputed and linked."""
    row = await session.get(StaffAssessment, assessment_id)
    return await verify_of(request, session, POLICY, principal, row, assessment_id)
