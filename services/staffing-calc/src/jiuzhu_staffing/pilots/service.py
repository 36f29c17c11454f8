"""Pilots (seed 004 四(一)): each city picks 1 pilot county; each pilot county 1–2 townships."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import divisions
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.db import ConcurrentUpdate
from jiuzhu_kit.errors import BadRequest, Conflict, FieldError, ValidationFailed
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.pilots.models import PilotDesignation
from jiuzhu_staffing.pilots.policy import PilotsNotFound
from jiuzhu_staffing.pilots.schemas import PilotsIn, PilotsOut
from jiuzhu_staffing.regions.known import known

AGGREGATE = "pilot_designation"


class NotAProvince(BadRequest):
    code = "NOT_A_PROVINCE"
    zh = "{division} 不是省级行政区划代码"
    en = "{division} is not a province-level code"


class PilotsExist(Conflict):
    code = "PILOTS_EXIST"
    zh = "该省 {year} 年试点名单已登记；更新请附 expected_version"
    en = "Pilots for {year} are already recorded; send expected_version to update"


class PackHasNoPilotRules(Conflict):
    code = "PACK_HAS_NO_PILOT_RULES"
    zh = "规则包 {pack} 未规定试点数量"
    en = "Rule pack {pack} sets no pilot counts"


async def _get(
    session: AsyncSession, province: str, year: int, lock: bool = False
) -> PilotDesignation | None:
    q = select(PilotDesignation).where(
        PilotDesignation.province_code == province, PilotDesignation.year == year
    )
    return (await session.execute(q.with_for_update() if lock else q)).scalar_one_or_none()


async def record(
    session: AsyncSession, audit: AuditLog, principal: Principal, province: str, year: int, data: PilotsIn
) -> PilotDesignation:
    if divisions.level(province) != "province":
        raise NotAProvince(division=province)
    principal.ensure_covers(province)
    errors = []
    for i, c in enumerate(data.counties):
        if not c.division_code.startswith(province[:2]) or not known().is_known(c.division_code):
            errors.append(
                FieldError(
                    pointer=f"#/counties/{i}/division_code",
                    code="UNKNOWN_DIVISION_CODE",
                    detail=f"{c.division_code} 不是本省已知的县级代码",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    counties = [c.model_dump(mode="json") for c in data.counties]
    row = await _get(session, province, year, lock=True)
    before = None
    if row is None:
        row = PilotDesignation(
            province_code=province, year=year, counties=counties, recorded_by=principal.sub
        )
        session.add(row)
    else:
        if data.expected_version is None:
            raise PilotsExist(year=year)
        if data.expected_version != row.version:
            raise ConcurrentUpdate()
        before = PilotsOut.model_validate(row, from_attributes=True).model_dump(mode="json")
        row.counties, row.recorded_by = counties, principal.sub
    await session.flush()
    await session.refresh(row)
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=f"{province}:{year}",
        action="pilots.recorded",
        actor=principal,
        data=PilotsOut.model_validate(row, from_attributes=True).model_dump(mode="json"),
        before=before,
        jurisdiction=province,
    )
    return row


async def designation(session: AsyncSession, province: str, year: int) -> PilotDesignation | None:
    return await _get(session, province, year)


async def check(
    session: AsyncSession, reg: PackRegistry, principal: Principal, province: str, year: int, on: date
) -> dict[str, Any]:
    row = await _get(session, province, year)
    if row is None or not principal.covers(province):
        raise PilotsNotFound()
    pack = reg.in_force(province, on)
    dvs = [
        pack.value(n, on) for n in ("pilot_counties_per_city", "pilot_townships_min", "pilot_townships_max")
    ]
    if any(d is None for d in dvs):
        raise PackHasNoPilotRules(pack=pack.ref)
    per_city, lo, hi = (int(d.value) for d in dvs if d is not None)
    cite = str(dvs[0].citation) if dvs[0] else ""
    problems: list[str] = []
    by_city: dict[str, list[str]] = {}
    for c in row.counties:
        by_city.setdefault(divisions.city_of(c["division_code"]), []).append(c["division_code"])
    cities = []
    for city in known().cities(province):
        picked = by_city.get(city, [])
        issue = None
        if len(picked) != per_city:
            issue = f"{known().name(city)}确定了{len(picked)}个试点县，应为{per_city}个（{cite}）"
            problems.append(issue)
        cities.append(
            {
                "division_code": city,
                "name": known().name(city),
                "pilot_counties": picked,
                "ok": issue is None,
                "problem": issue,
            }
        )
    counties = []
    for c in row.counties:
        n = len(c["townships"])
        issue = (
            None
            if lo <= n <= hi
            else f"{known().name(c['division_code'])}选择了{n}个试点乡镇，应为{lo}至{hi}个（{cite}）"
        )
        if issue:
            problems.append(issue)
        counties.append(
            {
                "division_code": c["division_code"],
                "name": known().name(c["division_code"]),
                "townships": n,
                "ok": issue is None,
                "problem": issue,
            }
        )
    return {
        "province_code": province,
        "year": year,
        "on": on,
        "pack": pack.ref,
        "ok": not problems,
        "cities": cities,
        "counties": counties,
        "problems": problems,
    }
