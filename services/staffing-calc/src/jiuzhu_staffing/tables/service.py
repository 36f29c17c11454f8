"""Build the two calculation tables from the same calculations as the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

from jiuzhu_kit.auth import Principal
from jiuzhu_staffing.batch.schemas import BatchRequest
from jiuzhu_staffing.batch.service import check_batch
from jiuzhu_staffing.calc.schemas import StaffingRequest
from jiuzhu_staffing.calc.staffing import compute_staffing
from jiuzhu_staffing.calculation import service as calc
from jiuzhu_staffing.compliance.roster import RosterFacts, actual_by_unit
from jiuzhu_staffing.compliance.service import required_pay
from jiuzhu_staffing.packs.model import Pack
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.regions.known import known
from jiuzhu_staffing.tables.render import Table, county_table, township_table, with_existing
from jiuzhu_staffing.tables.schemas import CountyTableRequest, ExistingFrom, TownshipTableRequest


def _footer(packs: list[Pack], on: date) -> list[str]:
    lines = []
    for p in {p.ref: p for p in packs}.values():
        lines.append(
            f"规则包：{p.title}（{p.cite_as}，{p.ref}，内容哈希 {p.content_hash}）；测算日期 {on.isoformat()}"
        )
        for name in {r.parameter for r in p.staffing}:
            dv = p.value(name, on)
            if dv and dv.brackets:
                lines.append(
                    f"档次（{p.param(name).label}）："
                    + "；".join(f"{b.phrase}→{b.value}人 {b.range_text}" for b in dv.brackets)
                )
    lines.append("以上/以下含本数（民法典第一千二百五十九条）；档次读法见规则包说明。")
    return lines


Roster = Callable[[str, date], Awaitable[RosterFacts | None]]


def _pay(packs: list[Pack], on: date) -> tuple[Decimal | None, list[str]]:
    """One person's yearly pay for the gap's cost: the packs' pay rule (first-year pay, or multiple ×
    minimum wage × 12); none when the packs disagree or set none."""
    pays = {required_pay(p, on) for p in {p.ref: p for p in packs}.values()}
    if len(pays) != 1 or next(iter(pays))[0] is None:
        return None, ["缺口年度经费：所适用规则包未规定（或不统一）人均工资标准，留空"]
    pay, cite = next(iter(pays))
    return pay, [f"缺口年度经费 = 缺口人数（为正时） × 人均年工资 {pay} 元（{cite}）"]


def _typed(req: ExistingFrom) -> dict[str, int] | None:
    if req.existing is None:
        return None
    out: dict[str, int] = {}
    for e in req.existing:
        out[e.unit] = out.get(e.unit, 0) + e.people
    return out


def _source(req: ExistingFrom, on: date) -> str:
    if req.existing_from_roster:
        return f"现有人数：花名册 {on.isoformat()} 在岗人员（按服务单位）"
    return "现有人数：填报数" if req.existing is not None else "现有人数：未提供"


async def county_rows(
    reg: PackRegistry, principal: Principal, req: CountyTableRequest, roster: Roster
) -> Table:
    k = known()
    check_batch(principal, BatchRequest(on=req.on, pack=req.pack, counties=req.counties), k)
    results: list[dict[str, Any]] = []
    packs: list[Pack] = []
    for c in req.counties:
        pack = reg.choose(c.division_code, req.on, req.pack, any_jurisdiction=True)
        results.append(compute_staffing(pack, c, req.on, county_name=k.name(c.division_code)))
        packs.append(pack)
    existing = _typed(req)
    if req.existing_from_roster:
        existing = {}
        for r in results:
            facts = await roster(r["division_code"], req.on)
            by_unit = actual_by_unit(r["figures"], r["division_code"], facts.units if facts else [])
            county_units = {f["unit_name"] for f in r["figures"] if f["unit_kind"] == "county"}
            existing[r["division_code"]] = sum(n for (u, _), n in by_unit.items() if u in county_units)
    pay, pay_notes = _pay(packs, req.on)
    table = county_table(results, _footer(packs, req.on))
    return with_existing(table, 2, existing, pay, [_source(req, req.on), *pay_notes])


async def township_rows(
    reg: PackRegistry, principal: Principal, req: TownshipTableRequest, roster: Roster
) -> Table:
    calc.ensure_county(principal, req.county)
    staffing = StaffingRequest(county=req.county, on=req.on, pack=req.pack)
    pack, result = calc.staffing_with_pack(reg, staffing)
    existing = _typed(req)
    if req.existing_from_roster:
        facts = await roster(req.county.division_code, req.on)
        existing = {}
        for (unit, _), n in actual_by_unit(
            result["figures"], req.county.division_code, facts.units if facts else []
        ).items():
            existing[unit] = existing.get(unit, 0) + n
    pay, pay_notes = _pay([pack], req.on)
    table = township_table(result, _footer([pack], req.on))
    return with_existing(table, 1, existing, pay, [_source(req, req.on), *pay_notes])
