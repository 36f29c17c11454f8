"""Scenario rules: a saved calculation keeps its inputs, result and the exact pack it used.

Saving computes the result (so what is stored is what the rules said), records the pack as
`id@version`, its content hash and the resolved snapshot; `reproduce` recomputes from that
snapshot and says whether the current pack would answer differently.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import DomainError, FieldError, ValidationFailed, field_errors_from_pydantic
from jiuzhu_staffing.calc.schemas import BudgetRequest, BudgetResult, StaffingRequest, StaffingResult
from jiuzhu_staffing.calculation import service as calc
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.packs.snapshot import pack_from_dict, pack_to_dict
from jiuzhu_staffing.regions.known import known
from jiuzhu_staffing.scenario.models import Scenario
from jiuzhu_staffing.scenario.policy import POLICY
from jiuzhu_staffing.scenario.policy import ScenarioNotFound as ScenarioNotFound  # the service's refusal too
from jiuzhu_staffing.scenario.repository import ScenarioRepository
from jiuzhu_staffing.scenario.schemas import ReproduceOut, ScenarioIn, ScenarioOut

AGGREGATE = "scenario"


def _parse(kind: str, inputs: dict[str, Any], division: str) -> StaffingRequest | BudgetRequest:
    model: type[StaffingRequest] | type[BudgetRequest] = (
        StaffingRequest if kind == "staffing" else BudgetRequest
    )
    try:
        req = model.model_validate(inputs)
    except ValidationError as exc:
        errs = field_errors_from_pydantic(exc.errors(), "zh")
        raise ValidationFailed(
            [e.model_copy(update={"pointer": "#/inputs" + e.pointer[1:]}) for e in errs]
        ) from exc
    code = req.county.division_code if isinstance(req, StaffingRequest) else req.division_code
    if code != division:
        raise ValidationFailed(
            [
                FieldError(
                    pointer="#/inputs",
                    code="MISMATCH",
                    detail=f"测算对象 {code} 与方案的 division_code {division} 不一致",
                )
            ]
        )
    return req


def _compute(reg: PackRegistry, req: StaffingRequest | BudgetRequest) -> tuple[Any, dict[str, Any]]:
    if isinstance(req, StaffingRequest):
        pack, raw = calc.staffing_with_pack(reg, req)
        return pack, StaffingResult.model_validate(raw).model_dump(mode="json")
    pack, raw = calc.budget_with_pack(reg, req)
    return pack, BudgetResult.model_validate(raw).model_dump(mode="json")


async def save(
    session: AsyncSession, audit: AuditLog, reg: PackRegistry, principal: Principal, data: ScenarioIn
) -> Scenario:
    principal.ensure_covers(data.division_code)
    req = _parse(data.kind, data.inputs, data.division_code)
    if isinstance(req, StaffingRequest):
        calc.check_county(req.county, "#/inputs/county")
    else:
        known().ensure(req.division_code, "#/inputs/division_code")
    pack, result = _compute(reg, req)
    scenario = await ScenarioRepository(session).add(
        Scenario(
            division_code=data.division_code,
            name=data.name,
            kind=data.kind,
            inputs=req.model_dump(mode="json"),
            result=result,
            pack_version=pack.ref,
            pack_hash=pack.content_hash,
            pack_snapshot=pack_to_dict(pack),
            created_by=principal.sub,
        )
    )
    await audit.record(
        session,
        POLICY,
        scenario,
        "scenario.saved",
        principal,
        data=ScenarioOut.model_validate(scenario).model_dump(mode="json"),
    )
    return scenario


async def get(session: AsyncSession, principal: Principal, scenario_id: uuid.UUID) -> Scenario:
    """The scenario if `principal` may read it (scenario/policy.py), else its refusal."""
    return POLICY.check(principal, await ScenarioRepository(session).get(scenario_id))


def _canon(d: Any) -> str:
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


async def reproduce(
    session: AsyncSession, reg: PackRegistry, principal: Principal, scenario_id: uuid.UUID
) -> ReproduceOut:
    scenario = await get(session, principal, scenario_id)
    snapshot = await ScenarioRepository(session).snapshot(scenario.id)
    assert snapshot is not None and scenario.pack_version and scenario.pack_hash
    pack = pack_from_dict(snapshot)
    req = _parse(scenario.kind, scenario.inputs, scenario.division_code)
    req = req.model_copy(update={"pack": pack.ref})
    _, again = _compute(PackRegistry([pack]), req)  # just the stored snapshot: exactly that pack
    current_ref = current_hash = None
    differs = None
    try:
        plain = req.model_copy(update={"pack": None})
        cur_pack, now = _compute(reg, plain)
        current_ref, current_hash = cur_pack.ref, cur_pack.content_hash
        differs = _canon({**now, "pack": None}) != _canon({**(scenario.result or {}), "pack": None})
    except DomainError:  # no pack in force any more: the stored one still reproduces
        differs = None
    return ReproduceOut(
        scenario_id=scenario.id,
        pack_version=scenario.pack_version,
        pack_hash=pack.content_hash,
        identical=_canon(again) == _canon(scenario.result) and pack.content_hash == scenario.pack_hash,
        result=again,
        current_pack_version=current_ref,
        current_pack_hash=current_hash,
        current_differs=differs,
    )
