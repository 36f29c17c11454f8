from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy import func, select

from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.listing import (
    DateFilter,
    DivisionFilter,
    RangeInverted,
    TextFilter,
    equal,
    in_division,
    in_range,
    matching,
)
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_staffing.calculation.endpoints import PACK_ERRORS
from jiuzhu_staffing.packs.registry import registry
from jiuzhu_staffing.scenario import service
from jiuzhu_staffing.scenario.models import Scenario
from jiuzhu_staffing.scenario.policy import POLICY
from jiuzhu_staffing.scenario.repository import ScenarioRepository
from jiuzhu_staffing.scenario.schemas import ReproduceOut, ScenarioIn, ScenarioOut, ScenarioSummary

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

Writer = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.AUDITOR, Role.FINANCE))]


@router.post(
    "",
    response_model=ScenarioOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(JurisdictionForbidden, *PACK_ERRORS),
)
async def save_scenario(
    request: Request, session: SessionDep, principal: Writer, body: ScenarioIn
) -> ScenarioOut:
    """Compute and save a calculation for a division in your jurisdiction (audited). The result is
    stored with the rule pack used (`id@version`, content hash and the resolved rules)."""
    scenario = await service.save(session, request.app.state.audit, registry(request), principal, body)
    return ScenarioOut.model_validate(scenario)


@router.get("", response_model=CursorPage[ScenarioSummary], responses=responses(CursorInvalid, RangeInverted))
async def list_scenarios(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    kind: Literal["staffing", "budget"] | None = None,
    q: TextFilter = None,
    created_from: DateFilter = None,
    created_to: DateFilter = None,
) -> CursorPage[ScenarioSummary]:
    """Saved scenarios in your jurisdiction (`division_code`: a subtree of it), newest first."""
    query = in_division(POLICY.narrow(principal, select(Scenario)), Scenario.division_code, division_code)
    query = matching(equal(query, Scenario.kind, kind), q, Scenario.name)
    query = in_range(query, func.date(Scenario.created_at), created_from, created_to, "created")
    rows = (await session.execute(keyset(query, page, Scenario.created_at, Scenario.id))).scalars().all()
    return cursor_page(rows, page, lambda s: (s.created_at, s.id), ScenarioSummary.model_validate)


@router.get(
    "/{scenario_id}/reproduce", response_model=ReproduceOut, responses=responses(service.ScenarioNotFound)
)
async def reproduce_scenario(
    request: Request, session: SessionDep, principal: Reader, scenario_id: uuid.UUID
) -> ReproduceOut:
    """Recompute the saved result with the exact pack stored with it (even if the pack file has
    changed since), and say whether the pack in force today would give another result."""
    return await service.reproduce(session, registry(request), principal, scenario_id)


@router.get("/{scenario_id}", response_model=ScenarioOut, responses=responses(service.ScenarioNotFound))
async def get_scenario(session: SessionDep, principal: Reader, scenario_id: uuid.UUID) -> ScenarioOut:
    """One saved staffing scenario: its inputs, the pack used and the result as saved."""
    return ScenarioOut.model_validate(await service.get(session, principal, scenario_id))


@router.get(
    "/{scenario_id}/events", response_model=list[AuditEventOut], responses=responses(service.ScenarioNotFound)
)
async def scenario_events(
    request: Request, session: SessionDep, principal: Reader, scenario_id: uuid.UUID
) -> list[AuditEventOut]:
    """The scenario's audit history (every version)."""
    row = await ScenarioRepository(session).get(scenario_id)
    return await history_of(request, session, POLICY, principal, row, scenario_id)


@router.get(
    "/{scenario_id}/events/verify", response_model=VerifyOut, responses=responses(service.ScenarioNotFound)
)
async def verify_scenario_events(
    request: Request, session: SessionDep, principal: Reader, scenario_id: uuid.UUID
) -> VerifyOut:
    """Check the scenario's hash chain."""
    row = await ScenarioRepository(session).get(scenario_id)
    return await verify_of(request, session, POLICY, principal, row, scenario_id)
