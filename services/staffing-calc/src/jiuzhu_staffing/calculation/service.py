"""Staffing and budget calculations for one county: access, division check, pack choice."""

from __future__ import annotations

from typing import Any

from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import FieldError, ValidationFailed
from jiuzhu_staffing.calc.budget import assessments_from_outcomes, compute_budget
from jiuzhu_staffing.calc.schemas import (
    BudgetRequest,
    BudgetResult,
    CountyIn,
    StaffingRequest,
    StaffingResult,
)
from jiuzhu_staffing.calc.staffing import compute_staffing, pack_used, pack_value
from jiuzhu_staffing.packs.model import Pack
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.regions.known import known


class PeopleRequired(ValidationFailed):
    code = "PEOPLE_REQUIRED"
    zh = "请给出购买人数 people，或给出 county 以按规则测算人数"
    en = "Give `people`, or `county` to compute the required people"


def check_county(county: CountyIn, pointer: str) -> None:
    k = known()
    k.ensure(county.division_code, f"{pointer}/division_code")
    for i, t in enumerate(county.townships):
        if t.code is not None and not t.code.startswith(county.division_code):
            raise ValidationFailed(
                [
                    FieldError(
                        pointer=f"{pointer}/townships/{i}/code",
                        code="NOT_IN_COUNTY",
                        detail=f"{t.code} 不在 {county.division_code} 之下",
                    )
                ]
            )


def ensure_county(principal: Principal, county: CountyIn, pointer: str = "#/county") -> None:
    """The caller's jurisdiction covers the county (checked first), whose codes are known and nested."""
    principal.ensure_covers(county.division_code)
    check_county(county, pointer)


def staffing_with_pack(reg: PackRegistry, req: StaffingRequest) -> tuple[Pack, dict[str, Any]]:
    pack = reg.choose(req.county.division_code, req.on, req.pack, any_jurisdiction=True)
    return pack, staffing_on(pack, req)


def staffing_on(pack: Pack, req: StaffingRequest) -> dict[str, Any]:
    """The staffing result under this very pack (a what-if may hand one with reforms applied)."""
    code = req.county.division_code
    result = compute_staffing(pack, req.county, req.on, county_name=known().name(code))
    result["pack"] = pack_used(pack, code)
    return result


def staffing(reg: PackRegistry, principal: Principal, req: StaffingRequest) -> StaffingResult:
    ensure_county(principal, req.county)
    _, result = staffing_with_pack(reg, req)
    return StaffingResult.model_validate(result)


def budget_with_pack(
    reg: PackRegistry, req: BudgetRequest, staff: list[dict[str, Any]] | None = None
) -> tuple[Pack, dict[str, Any]]:
    """`staff`: the contract's assessment outcomes from the evaluation service (req.contract_id),
    used for the pay progression instead of typed `assessments`."""
    pack = reg.choose(req.division_code, req.start, req.pack, any_jurisdiction=True)
    people = req.people
    if people is None:
        if req.county is None:
            raise PeopleRequired(
                [FieldError(pointer="#/people", code="MISSING", detail="缺少 people 或 county")]
            )
        people = compute_staffing(pack, req.county, req.start, explain=False)["total"]
    notes: list[str] = []
    if staff is not None and pack.pay is not None:
        term = pack_value(pack, pack.pay.params["contract_years"], req.start)
        years = req.years or int(term.value)
        found, notes = assessments_from_outcomes(staff, req.start, years, people)
        req = req.model_copy(update={"assessments": found})
        if not found:
            notes = [f"合同 {req.contract_id} 尚无年度考核结果：逐年按合格预测"]
    result = compute_budget(pack, req, people)
    result["notes"] = [*notes, *result["notes"]]
    result["pack"] = pack_used(pack, req.division_code)
    return pack, result


def budget(
    reg: PackRegistry, principal: Principal, req: BudgetRequest, staff: list[dict[str, Any]] | None = None
) -> BudgetResult:
    principal.ensure_covers(req.division_code)
    known().ensure(req.division_code)
    if req.county is not None:
        if req.county.division_code != req.division_code:
            raise ValidationFailed(
                [
                    FieldError(
                        pointer="#/county/division_code",
                        code="MISMATCH",
                        detail="county 与 division_code 不一致",
                    )
                ]
            )
        check_county(req.county, "#/county")
    _, result = budget_with_pack(reg, req, staff)
    return BudgetResult.model_validate(result)
