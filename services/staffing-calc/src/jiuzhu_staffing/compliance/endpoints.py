"""HTTP: compliance reports (bureaus write their own jurisdiction; auditors and finance read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from jiuzhu_kit import clock
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, require_roles
from jiuzhu_kit.db import ConcurrentUpdate, SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode, Year
from jiuzhu_staffing.calc.staffing import PackHasNoStaffingRules
from jiuzhu_staffing.calculation.endpoints import PACK_ERRORS
from jiuzhu_staffing.compliance import service
from jiuzhu_staffing.compliance.schemas import ComplianceOut, ReportIn, ReportOut, SummaryOut
from jiuzhu_staffing.packs.registry import registry

router = APIRouter(prefix="/compliance", tags=["compliance"])

Writer = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.AUDITOR, Role.FINANCE))]


@router.post(
    "/reports",
    response_model=ReportOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        JurisdictionForbidden, service.ReportExists, ConcurrentUpdate, PackHasNoStaffingRules, *PACK_ERRORS
    ),
)
async def submit_report(
    request: Request, session: SessionDep, principal: Writer, body: ReportIn
) -> ReportOut:
    """A county reports actual staff per unit, pay level, contract, working-funds document and
    trainings for a year (seed 000 三(二)). Updating needs `expected_version` (audited)."""
    r = await service.submit(session, request.app.state.audit, registry(request), principal, body)
    return ReportOut.model_validate(r)


@router.get(
    "/reports/{division_code}/{year}",
    response_model=ComplianceOut,
    responses=responses(service.ReportNotFound),
)
async def get_report(
    request: Request,
    session: SessionDep,
    principal: Reader,
    division_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],  # as the summary; an int4 overflow was a 500
) -> ComplianceOut:
    """Required vs actual per unit and role, pay, trainings and documents, with the gaps."""
    return ComplianceOut.model_validate(
        await service.report(session, registry(request), principal, division_code, year)
    )


@router.get("/summary", response_model=SummaryOut, responses=responses(service.ReportNotFound))
async def compliance_summary(
    request: Request,
    session: SessionDep,
    principal: Reader,
    division_code: Annotated[DivisionCode, Query()],
    year: Annotated[Year, Query(ge=2000, le=2100)],
    on: Annotated[date | None, Query(description="基准日，缺省为今天")] = None,
) -> SummaryOut:
    """Every report under `division_code` for `year`, rolled up by city and province, and the counties
    whose report is overdue by the roll-out plan's deadline."""
    day = on or clock.today()  # the bureaus' date, not the machine's
    return SummaryOut.model_validate(
        await service.summary(session, registry(request), principal, division_code, year, day)
    )
