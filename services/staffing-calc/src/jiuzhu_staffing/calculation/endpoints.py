"""HTTP: staffing and budget calculations (read-only: nothing is stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, require_roles
from jiuzhu_kit.errors import responses
from jiuzhu_kit.peers import PeerUnavailable
from jiuzhu_staffing.calc.budget import AssessmentsMismatch, PackHasNoPayRule
from jiuzhu_staffing.calc.schemas import BudgetRequest, BudgetResult, StaffingRequest, StaffingResult
from jiuzhu_staffing.calc.staffing import PackHasNoStaffingRules, ParameterNotInForce
from jiuzhu_staffing.calculation import assessments, service
from jiuzhu_staffing.packs.registry import NoPackInForce, PackNotApplicable, PackNotFound, registry
from jiuzhu_staffing.regions.known import UnknownDivisionCode

router = APIRouter(prefix="/calculations", tags=["calculations"])

Calculator = Annotated[
    Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))
]
PACK_ERRORS = (PackNotFound, NoPackInForce, PackNotApplicable, ParameterNotInForce, UnknownDivisionCode)


@router.post(
    "/staffing",
    response_model=StaffingResult,
    responses=responses(JurisdictionForbidden, PackHasNoStaffingRules, *PACK_ERRORS),
)
async def calculate_staffing(
    request: Request, principal: Calculator, body: StaffingRequest
) -> StaffingResult:
    """Required people per unit and role under the pack in force on `on` (or the pack named).

    Every figure carries its explanation: rule, clause, inputs, bracket matched, Chinese reading.
    """
    return service.staffing(registry(request), principal, body)


@router.post(
    "/budget",
    response_model=BudgetResult,
    responses=responses(
        JurisdictionForbidden,
        PackHasNoPayRule,
        PackHasNoStaffingRules,
        AssessmentsMismatch,
        service.PeopleRequired,
        PeerUnavailable,
        *PACK_ERRORS,
    ),
)
async def calculate_budget(request: Request, principal: Calculator, body: BudgetRequest) -> BudgetResult:
    """Cost per contract year (assessments drive raises and replacements), per funding source,
    with working funds (3 % of last year's dibao spending where the pack says so) and shortfall.
    With `contract_id` and no typed `assessments`, the raises follow the contract's real staff
    assessments, read from the evaluation service (seed 000 二(七): +5 % per year qualified)."""
    staff = None
    if body.contract_id is not None and not body.assessments:
        principal.ensure_covers(body.division_code)  # before asking evaluation anything
        staff = await assessments.outcomes(request, body.contract_id)
    return service.budget(registry(request), principal, body, staff)
