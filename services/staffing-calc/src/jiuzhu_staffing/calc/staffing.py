"""Staffing: required people per unit and role under a pack, each figure with its explanation.

Pure functions over a `Pack` and the inputs; no I/O. `explain=False` is the batch fast path
(same numbers, no per-figure text).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jiuzhu_kit.errors import Conflict
from jiuzhu_staffing.calc.schemas import CountyIn, TownshipIn
from jiuzhu_staffing.packs.model import MEASURES, ROLE_ZH, UNIT_ZH, DatedValue, Pack, StaffingRule


class PackHasNoStaffingRules(Conflict):
    code = "PACK_HAS_NO_STAFFING_RULES"
    zh = "规则包 {pack} 未规定人员配备标准"
    en = "Rule pack {pack} sets no staffing requirement"


class ParameterNotInForce(Conflict):
    code = "PARAMETER_NOT_IN_FORCE"
    zh = "规则包 {pack} 的参数 {parameter} 在 {on} 无取值"
    en = "Parameter {parameter} of pack {pack} has no value on {on}"


def pack_value(pack: Pack, name: str, on: date) -> DatedValue:
    dv = pack.value(name, on)
    if dv is None:
        raise ParameterNotInForce(pack=pack.ref, parameter=name, on=on.isoformat())
    return dv


def _strip(name: str) -> str:
    return name.removesuffix("办事处")


def _figure(
    unit_kind: str, name: str, code: str | None, rule: StaffingRule, people: int, expl: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "unit_kind": unit_kind,
        "unit_name": name,
        "unit_code": code,
        "role": rule.role,
        "people": people,
        "explanation": expl,
    }


def _bracket_figure(
    rule: StaffingRule, dv: DatedValue, unit_kind: str, name: str, code: str | None, x: int, explain: bool
) -> dict[str, Any]:
    b = dv.bracket_for(x)
    expl = None
    if explain:
        measure = rule.measure or "assisted_households"
        what = "户数" if measure == "assisted_households" else "户籍人口"
        expl = {
            "rule": rule.id,
            "rule_label": rule.label,
            "citation": str(b.citation),
            "inputs": {measure: x},
            "bracket": {"range": b.range_text, "phrase": b.phrase, "reading": b.reading},
            "rounding": None,
            "reading_zh": (
                f"{name}{what}{x}{MEASURES[measure]}，属“{b.phrase}”（{b.condition_zh(what)}），"
                f"{ROLE_ZH[rule.role]}至少{b.value}人（{b.citation}）"
            ),
        }
    return _figure(unit_kind, name, code, rule, b.value, expl)


_PER_UNIT_FIELDS = {
    "administrative_village": "administrative_villages",
    "urban_community": "urban_communities",
    "residents_committee": "residents_committees",
    "villagers_committee": "villagers_committees",
}


def _per_unit_figures(
    rule: StaffingRule, dv: DatedValue, t: TownshipIn, explain: bool
) -> list[dict[str, Any]]:
    out = []
    per = int(dv.value)
    for kind in rule.applies_to:
        if kind == "nursing_home_government_run":
            n = sum(1 for h in t.nursing_homes if h.government_run)
        elif kind in _PER_UNIT_FIELDS:
            n = getattr(t, _PER_UNIT_FIELDS[kind])
        else:
            continue
        if n == 0:
            continue
        expl = None
        if explain:
            expl = {
                "rule": rule.id,
                "rule_label": rule.label,
                "citation": str(dv.citation),
                "inputs": {_PER_UNIT_FIELDS.get(kind, "government_run_nursing_homes"): n},
                "bracket": None,
                "rounding": None,
                "reading_zh": f"{t.name}有{UNIT_ZH[kind]}{n}个，每个至少{per}人，{ROLE_ZH[rule.role]}共{n * per}人（{dv.citation}）",
            }
        out.append(_figure(kind, t.name, t.code, rule, n * per, expl))
    return out


def _allocation_figures(
    rule: StaffingRule, dv: DatedValue, county: CountyIn, county_name: str, explain: bool
) -> list[dict[str, Any]]:
    alloc = dv.value
    table: dict[str, int] = alloc["units"]
    default = int(alloc["default"])
    rows: list[tuple[str, str, str | None, int, str]] = []
    county_unit = alloc.get("county_unit") or county_name
    if "county" in rule.applies_to:
        n = table.get(county_unit, default)
        rows.append(
            ("county", county_unit, county.division_code, n, "named" if county_unit in table else "default")
        )
    for t in county.townships:
        if t.kind not in rule.applies_to:
            continue
        key = next((k for k in (t.name, _strip(t.name)) if k in table), None)
        n = table[key] if key else default
        rows.append((t.kind, t.name, t.code, n, "named" if key else "default"))
    out = []
    for kind, name, code, n, how in rows:
        expl = None
        if explain:
            why = f"文件点名{name}购买{n}名" if how == "named" else f"其余单位各{n}名"
            expl = {
                "rule": rule.id,
                "rule_label": rule.label,
                "citation": str(dv.citation),
                "inputs": {"unit": name},
                "bracket": None,
                "rounding": None,
                "reading_zh": f"{name}：{why}，{ROLE_ZH[rule.role]}{n}人（{dv.citation}）",
            }
        out.append(_figure(kind, name, code, rule, n, expl))
    return out


def compute_staffing(
    pack: Pack, county: CountyIn, on: date, *, explain: bool = True, county_name: str | None = None
) -> dict[str, Any]:
    if not pack.staffing:
        raise PackHasNoStaffingRules(pack=pack.ref)
    name = county.name or county_name or county.division_code
    figures: list[dict[str, Any]] = []
    for rule in pack.staffing:
        dv = pack_value(pack, rule.parameter, on)
        if pack.param(rule.parameter).unit == "allocation":
            figures.extend(_allocation_figures(rule, dv, county, name, explain))
            continue
        if dv.brackets:
            measure = rule.measure or "assisted_households"
            if "county" in rule.applies_to:
                if measure == "assisted_households" and county.assisted_households is not None:
                    x = county.assisted_households
                else:
                    x = sum(getattr(t, measure) for t in county.townships)
                figures.append(_bracket_figure(rule, dv, "county", name, county.division_code, x, explain))
            for t in county.townships:
                if t.kind in rule.applies_to:
                    figures.append(
                        _bracket_figure(rule, dv, t.kind, t.name, t.code, getattr(t, measure), explain)
                    )
            continue
        for t in county.townships:
            figures.extend(_per_unit_figures(rule, dv, t, explain))
    totals: dict[str, int] = {}
    for f in figures:
        totals[f["role"]] = totals.get(f["role"], 0) + f["people"]
    return {
        "division_code": county.division_code,
        "county_name": name,
        "on": on,
        "figures": figures,
        "totals": totals,
        "total": sum(totals.values()),
    }


def pack_used(pack: Pack, division: str) -> dict[str, Any]:
    from jiuzhu_kit import divisions

    return {
        "id": pack.id,
        "version": pack.version,
        "content_hash": pack.content_hash,
        "title": pack.title,
        "cite_as": pack.cite_as,
        "jurisdiction": pack.jurisdiction,
        "outside_jurisdiction": not divisions.covers(pack.jurisdiction, division[:6]),
    }
