"""Staffing's additions to the kit's pack format (jiuzhu_kit.rules.parse): its units (people,
people per unit, allocations, schedules), its bracket measures, and two sections — the staffing
rules (who is needed per unit kind) and the pay rule (how a year's pay is computed)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from jiuzhu_kit.rules.model import Pack as RulePack
from jiuzhu_kit.rules.parse import Checker, PackError, Spec, day, non_negative_int
from jiuzhu_staffing.packs.model import MEASURES, ROLES, UNIT_KINDS, Pack, PayRule, StaffingRule

__all__ = ["SPEC", "PackError"]

PAY_KINDS = {
    "fixed_with_raise": ("first_year_pay", "raise_rate", "contract_years"),
    "minimum_wage_multiple": ("minimum_wage", "multiple", "contract_years"),
}
# What a pay rule may add on top of the wage (labour dispatch): the employer's contributions to each
# social insurance and the housing fund, and the dispatch company's fee (calc/budget.py ON_TOP).
PAY_OPTIONAL = {
    "minimum_wage_multiple": (
        "employer_pension_rate",
        "employer_medical_rate",
        "employer_maternity_rate",
        "employer_unemployment_rate",
        "employer_injury_rate",
        "employer_housing_fund_rate",
        "dispatch_fee_rate",
    )
}


def _allocation(raw: Any, chk: Checker, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("units"), dict):
        chk.fail(
            where, "分配表应为 {units: {单位: 人数}, default: n, canonical_units: [...], expected_total: n}"
        )
        return {"units": {}, "default": 0, "canonical_units": [], "expected_total": 0}
    units: dict[str, int] = {}
    for k, v in raw["units"].items():
        units[str(k)] = int(non_negative_int(v, chk, f"{where}.units.{k}") or 0)
    default = int(non_negative_int(raw.get("default", 0), chk, f"{where}.default") or 0)
    canonical = [str(u) for u in raw.get("canonical_units", [])]
    total = sum(units.get(u, default) for u in canonical)
    if "expected_total" in raw and total != raw["expected_total"]:
        chk.fail(where, f"分配合计 {total} 与文件所定总数 {raw['expected_total']} 不符")
    out = {"units": units, "default": default, "canonical_units": canonical, "expected_total": total}
    if raw.get("county_unit"):
        out["county_unit"] = str(raw["county_unit"])
    return out


def _schedule(raw: Any, chk: Checker, where: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "时间表应为阶段列表")
        return []
    out = []
    for i, ph in enumerate(raw):
        start, end = (
            day(ph.get("start"), chk, f"{where}[{i}].start"),
            day(ph.get("end"), chk, f"{where}[{i}].end"),
        )
        if start and end and end < start:
            chk.fail(f"{where}[{i}]", "阶段结束早于开始")
        out.append({**ph, "start": start, "end": end})
    return out


def _staffing(raw: Any, chk: Checker) -> tuple[StaffingRule, ...]:
    rules: list[StaffingRule] = []
    for i, r in enumerate(raw or []):
        w = f"staffing[{i}]"
        applies = tuple(r.get("applies_to") or ())
        if r.get("role") not in ROLES:
            chk.fail(w, f"未知岗位 {r.get('role')!r}")
        bad = [u for u in applies if u not in UNIT_KINDS]
        if bad or not applies:
            chk.fail(w, f"未知单位类型 {bad or applies}")
        rules.append(
            StaffingRule(
                str(r.get("id")),
                str(r.get("role")),
                applies,
                str(r.get("parameter")),
                str(r.get("label") or r.get("id")),
            )
        )
    return tuple(rules)


def _pay(raw: Any, chk: Checker) -> PayRule | None:
    if not raw:
        return None
    kind = raw.get("kind")
    if kind not in PAY_KINDS:
        chk.fail("pay.kind", f"未知薪酬规则 {kind!r}")
    else:
        given = raw.get("params") or {}
        missing = [k for k in PAY_KINDS[kind] if k not in given]
        if missing:
            chk.fail("pay.params", f"缺少 {missing}")
        unknown = [k for k in given if k not in (*PAY_KINDS[kind], *PAY_OPTIONAL.get(kind, ()))]
        if unknown:
            chk.fail("pay.params", f"未知参数 {unknown}")
    return PayRule(str(kind), dict(raw.get("params") or {}))


def _finish(pack: RulePack, problems: list[str]) -> RulePack:
    """After inheritance: every rule names a parameter the pack defines; bracket rules learn their
    measure from their parameter."""
    assert isinstance(pack, Pack)
    for r in pack.staffing:
        if r.parameter not in pack.parameters:
            problems.append(f"staffing rule {r.id}: 参数 {r.parameter!r} 未定义")
    if pack.pay:
        for role, name in pack.pay.params.items():
            if name not in pack.parameters:
                problems.append(f"pay.{role}: 参数 {name!r} 未定义")
    rules = tuple(
        replace(r, measure=pack.parameters[r.parameter].measure) if r.parameter in pack.parameters else r
        for r in pack.staffing
    )
    return replace(pack, sections={**pack.sections, "staffing": rules})


def _serialize(pack: RulePack) -> dict[str, Any]:
    assert isinstance(pack, Pack)
    return {
        "staffing": [
            {
                "id": r.id,
                "role": r.role,
                "applies_to": list(r.applies_to),
                "parameter": r.parameter,
                "label": r.label,
            }
            for r in pack.staffing
        ],
        "pay": {"kind": pack.pay.kind, "params": dict(pack.pay.params)} if pack.pay else None,
    }


SPEC = Spec(
    units={
        "person": non_negative_int,  # people required (a count of staff)
        "person_per_unit": non_negative_int,  # per village/community/committee/institution
        "session_per_year": non_negative_int,
        "schedule": _schedule,  # phases with deadlines
        "allocation": _allocation,  # named units → people
    },
    measures=MEASURES,
    sections={"staffing": _staffing, "pay": _pay},
    finish=_finish,
    pack_class=Pack,
    serialize_sections=_serialize,
)
