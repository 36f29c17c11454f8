"""Build the two calculation tables from the same calculations as the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from jiuzhu_kit.auth import Principal
from jiuzhu_staffing.batch.schemas import BatchRequest
from jiuzhu_staffing.batch.service import check_batch
from jiuzhu_staffing.calc.schemas import StaffingRequest
from jiuzhu_staffing.calc.staffing import compute_staffing
from jiuzhu_staffing.calculation import service as calc
from jiuzhu_staffing.packs.model import Pack
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.regions.known import known
from jiuzhu_staffing.tables.render import Table, county_table, township_table


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


def county_rows(reg: PackRegistry, principal: Principal, req: BatchRequest) -> Table:
    k = known()
    check_batch(principal, req, k)
    results: list[dict[str, Any]] = []
    packs: list[Pack] = []
    for c in req.counties:
        pack = reg.choose(c.division_code, req.on, req.pack, any_jurisdiction=True)
        results.append(compute_staffing(pack, c, req.on, county_name=k.name(c.division_code)))
        packs.append(pack)
    return county_table(results, _footer(packs, req.on))


def township_rows(reg: PackRegistry, principal: Principal, req: StaffingRequest) -> Table:
    calc.ensure_county(principal, req.county)
    pack, result = calc.staffing_with_pack(reg, req)
    return township_table(result, _footer([pack], req.on))
