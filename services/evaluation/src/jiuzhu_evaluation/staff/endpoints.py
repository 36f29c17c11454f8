from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from jiuzhu_evaluation.staff import roster_check, service
from jiuzhu_evaluation.staff.schemas import (
    AssessmentIn,
    AssessmentOut,
    OutcomesOut,
    RenewalOut,
    StaffOutcomes,
    YearOutcome,
)
from jiuzhu_evaluation.template import service as templates
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
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
        NoPackInForce,
        RuleNotInForce,
    ),
)
async def assess(
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


@router.get("", response_model=list[AssessmentOut])
async def list_assessments(
    session: SessionDep, principal: Reader, contract_id: uuid.UUID, staff_ref: StaffRef | None = None
) -> list[AssessmentOut]:
    return [
        AssessmentOut.model_validate(a)
        for a in await service.listing(session, principal, contract_id, staff_ref)
    ]


@router.get("/outcomes", response_model=OutcomesOut)
async def outcomes(session: SessionDep, principal: Reader, contract_id: uuid.UUID) -> OutcomesOut:
    """Per staff member and year: qualified true/false — the input of staffing-calc's budget projection."""
    staff: dict[str, list[YearOutcome]] = {}
    for a in await service.listing(session, principal, contract_id):
        staff.setdefault(a.staff_ref, []).append(YearOutcome(year=a.year, qualified=a.qualified))
    return OutcomesOut(
        contract_id=contract_id, staff=[StaffOutcomes(staff_ref=k, years=v) for k, v in staff.items()]
    )


@router.get("/renewal", response_model=RenewalOut, responses=responses(service.NoAssessments))
async def renewal(
    request: Request, session: SessionDep, principal: Reader, contract_id: uuid.UUID, staff_ref: StaffRef
) -> RenewalOut:
    """Continue next year? Renew after the contract term (the rules' `staff_contract_years`, seed 000
    二(七): 3 years)? (seed 000 四(三))"""
    return await service.renewal(session, book_of(request), principal, contract_id, staff_ref)
