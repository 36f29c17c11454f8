"""HTTP: compliance reports (bureaus write their own jurisdiction; auditors and finance read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from sqlalchemy import func, select

from jiuzhu_kit import clock
from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.db import ConcurrentUpdate, SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode, Year
from jiuzhu_kit.listing import DateFilter, DivisionFilter, RangeInverted, equal, in_division, in_range
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_kit.peers import PeerUnavailable
from jiuzhu_staffing.calc.staffing import PackHasNoStaffingRules
from jiuzhu_staffing.calculation.endpoints import PACK_ERRORS
from jiuzhu_staffing.compliance import roster, service
from jiuzhu_staffing.compliance.models import ComplianceReport
from jiuzhu_staffing.compliance.policy import POLICY
from jiuzhu_staffing.compliance.repository import ComplianceRepository
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
        JurisdictionForbidden,
        service.ReportExists,
        roster.ActualFromRoster,
        ConcurrentUpdate,
        PackHasNoStaffingRules,
        PeerUnavailable,
        *PACK_ERRORS,
    ),
)
async def submit_report(
    request: Request, session: SessionDep, principal: Writer, body: ReportIn
) -> ReportOut:
    """A county reports actual staff per unit, pay level, contract, working-funds document and
    trainings for a year (seed 000 三(二)). Updating needs `expected_version` (audited). Where a
    contract bound to procurement's roster is in force on `on`, the actual staff come from the roster
    (workers in post that day) and a typed `actual` is refused: send `[]`."""
    facts = await roster.facts(request, body.county.division_code, body.on)
    r = await service.submit(session, request.app.state.audit, registry(request), principal, body, facts)
    return ReportOut.model_validate(r)


@router.get(
    "/reports", response_model=CursorPage[ReportOut], responses=responses(CursorInvalid, RangeInverted)
)
async def list_reports(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    year: Annotated[Year | None, Query(ge=2000, le=2100)] = None,
    submitted_from: DateFilter = None,
    submitted_to: DateFilter = None,
) -> CursorPage[ReportOut]:
    """Compliance reports in your jurisdiction, latest year first (the gaps of one: `GET
    /compliance/reports/{division_code}/{year}`; a roll-up: `/compliance/summary`)."""
    query = in_division(
        POLICY.narrow(principal, select(ComplianceReport)), ComplianceReport.division_code, division_code
    )
    query = equal(query, ComplianceReport.year, year)
    query = in_range(
        query, func.date(ComplianceReport.submitted_at), submitted_from, submitted_to, "submitted"
    )
    cols = (ComplianceReport.year, ComplianceReport.submitted_at, ComplianceReport.id)
    rows = (await session.execute(keyset(query, page, *cols))).scalars().all()
    return cursor_page(rows, page, lambda r: (r.year, r.submitted_at, r.id), ReportOut.model_validate)


@router.get(
    "/reports/{division_code}/{year}",
    response_model=ComplianceOut,
    responses=responses(service.ReportNotFound, PeerUnavailable),
)
async def get_report(
    request: Request,
    session: SessionDep,
    principal: Reader,
    division_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],  # as the summary; an int4 overflow was a 500
) -> ComplianceOut:
    """Required vs actual per unit and role, pay, trainings and documents, with the gaps. "Actual" is
    the roster's workers in post on the report date, per township or village, where a contract bound
    to the roster exists (`actual_source: roster`); else the county's typed count (`typed`)."""
    return ComplianceOut.model_validate(
        await service.report(
            session,
            registry(request),
            principal,
            division_code,
            year,
            lambda d, on: roster.facts(request, d, on),
        )
    )


@router.get(
    "/summary", response_model=SummaryOut, responses=responses(service.ReportNotFound, PeerUnavailable)
)
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
        await service.summary(
            session,
            registry(request),
            principal,
            division_code,
            year,
            day,
            lambda d, on: roster.facts(request, d, on),
        )
    )


@router.get(
    "/reports/{division_code}/{year}/events",
    response_model=list[AuditEventOut],
    responses=responses(service.ReportNotFound),
)
async def report_events(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    division_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],
) -> list[AuditEventOut]:
    """Every version of the report (submitted, updated), hash-chained."""
    row = await ComplianceRepository(session).get(division_code, year)
    return await history_of(request, session, POLICY, principal, row, row.id if row else None)


@router.get(
    "/reports/{division_code}/{year}/events/verify",
    response_model=VerifyOut,
    responses=responses(service.ReportNotFound),
)
async def verify_report_events(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    division_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],
) -> VerifyOut:
    """Check the compliance report's audit hash chain: every event's SHA-256 recomputed and linked."""
    row = await ComplianceRepository(session).get(division_code, year)
    return await verify_of(request, session, POLICY, principal, row, row.id if row else None)
