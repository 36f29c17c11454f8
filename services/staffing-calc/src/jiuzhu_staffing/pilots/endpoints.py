"""HTTP: a province's pilot counties and townships, and the check against the pack."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.db import ConcurrentUpdate, SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode, Year
from jiuzhu_staffing.packs.registry import NoPackInForce, registry
from jiuzhu_staffing.pilots import service
from jiuzhu_staffing.pilots.policy import POLICY, PilotsNotFound
from jiuzhu_staffing.pilots.schemas import PilotCheck, PilotsIn, PilotsOut

router = APIRouter(prefix="/pilots", tags=["pilots"])

Writer = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.AUDITOR, Role.FINANCE))]


@router.put(
    "/{province_code}/{year}",
    response_model=PilotsOut,
    responses=responses(JurisdictionForbidden, service.NotAProvince, service.PilotsExist, ConcurrentUpdate),
)
async def record_pilot_counties(
    request: Request,
    session: SessionDep,
    principal: Writer,
    province_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],
    body: PilotsIn,
) -> PilotsOut:
    """Record (or, with `expected_version`, replace) the province's pilot counties and townships."""
    row = await service.record(session, request.app.state.audit, principal, province_code, year, body)
    return PilotsOut.model_validate(row, from_attributes=True)


@router.get(
    "/{province_code}/{year}/check",
    response_model=PilotCheck,
    responses=responses(PilotsNotFound, service.PackHasNoPilotRules, NoPackInForce),
)
async def check_pilot_counties(
    request: Request,
    session: SessionDep,
    principal: Reader,
    province_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],
    on: Annotated[date | None, Query(description="按此日生效的规则检查；缺省为该年 12 月 31 日")] = None,
) -> PilotCheck:
    """Check the pilots against the pack: one county per city, one or two townships per county."""
    day = on or date(year, 12, 31)
    return PilotCheck.model_validate(
        await service.check(session, registry(request), principal, province_code, year, day)
    )


@router.get(
    "/{province_code}/{year}/events",
    response_model=list[AuditEventOut],
    responses=responses(PilotsNotFound),
)
async def pilot_events(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    province_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],
) -> list[AuditEventOut]:
    """Every recording of the province's pilots for the year, hash-chained."""
    row = await service.designation(session, province_code, year)
    return await history_of(request, session, POLICY, principal, row, f"{province_code}:{year}")


@router.get(
    "/{province_code}/{year}/events/verify",
    response_model=VerifyOut,
    responses=responses(PilotsNotFound),
)
async def verify_pilot_events(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    province_code: DivisionCode,
    year: Annotated[Year, Path(ge=2000, le=2100)],
) -> VerifyOut:
    """Check the pilot declaration's audit hash chain: every event's SHA-256 recomputed and linked."""
    row = await service.designation(session, province_code, year)
    return await verify_of(request, session, POLICY, principal, row, f"{province_code}:{year}")
