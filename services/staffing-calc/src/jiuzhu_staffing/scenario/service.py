"""Scenario rules: who may save and read a scenario; every save is audited."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import NotFound
from jiuzhu_staffing.scenario.models import Scenario
from jiuzhu_staffing.scenario.repository import ScenarioRepository
from jiuzhu_staffing.scenario.schemas import ScenarioIn, ScenarioOut

AGGREGATE = "scenario"


class ScenarioNotFound(NotFound):
    code = "SCENARIO_NOT_FOUND"
    zh = "未找到该测算方案"
    en = "Scenario not found"


async def save(session: AsyncSession, audit: AuditLog, principal: Principal, data: ScenarioIn) -> Scenario:
    principal.ensure_covers(data.division_code)
    scenario = await ScenarioRepository(session).add(
        Scenario(
            division_code=data.division_code,
            name=data.name,
            kind=data.kind,
            inputs=data.inputs,
            created_by=principal.sub,
        )
    )
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=scenario.id,
        action="scenario.saved",
        actor=principal,
        data=ScenarioOut.model_validate(scenario).model_dump(mode="json"),
        jurisdiction=scenario.division_code,
    )
    return scenario


async def get(session: AsyncSession, principal: Principal, scenario_id: uuid.UUID) -> Scenario:
    scenario = await ScenarioRepository(session).get(scenario_id)
    # Outside the caller's jurisdiction looks the same as absent: no existence leak.
    if scenario is None or not principal.covers(scenario.division_code):
        raise ScenarioNotFound()
    return scenario
