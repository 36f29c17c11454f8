"""Compliance: counties report what they actually have; the service compares with the pack.

Required people come from the same staffing calculation as the API; pay from the pack's pay
rule (first-year pay, or multiple × minimum wage × 12); trainings from the pack's minimum per
year (Lingwu 2, Shanghai 1); due dates from the roll-out plan (seed 000 三(二): 6月10日).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import clock, divisions
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.db import ConcurrentUpdate
from jiuzhu_kit.errors import DomainError, Exists
from jiuzhu_kit.money import round_fen
from jiuzhu_staffing.calc.schemas import CountyIn
from jiuzhu_staffing.calc.staffing import compute_staffing
from jiuzhu_staffing.calculation.service import ensure_county
from jiuzhu_staffing.compliance.models import ComplianceReport
from jiuzhu_staffing.compliance.policy import POLICY
from jiuzhu_staffing.compliance.policy import ReportNotFound as ReportNotFound  # the service's refusal too
from jiuzhu_staffing.compliance.repository import ComplianceRepository
from jiuzhu_staffing.compliance.roster import ROSTER, TYPED, ActualFromRoster, RosterFacts, actual_by_unit
from jiuzhu_staffing.compliance.schemas import ReportIn, ReportOut
from jiuzhu_staffing.packs.model import Pack
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.regions.known import known

AGGREGATE = "compliance_report"


class ReportExists(Exists):
    code = "REPORT_EXISTS"
    zh = "{division} 已报送 {year} 年的报告；更新请附 expected_version"
    en = "{division} already reported for {year}; send expected_version to update it"


def required_pay(pack: Pack, on: date) -> tuple[Decimal | None, str | None]:
    if pack.pay is None:
        return None, None
    p = pack.pay.params
    if pack.pay.kind == "fixed_with_raise":
        dv = pack.value(p["first_year_pay"], on)
        return (round_fen(Decimal(dv.value)), str(dv.citation)) if dv else (None, None)
    wage, mult = pack.value(p["minimum_wage"], on), pack.value(p["multiple"], on)
    if wage is None or mult is None:
        return None, None
    return round_fen(Decimal(wage.value) * Decimal(mult.value)) * 12, f"{mult.citation}; {wage.citation}"


def due_date(pack: Pack, on: date) -> date | None:
    dv = pack.value("compliance_report_due", on)
    return dv.value if dv else None


def evaluate(reg: PackRegistry, r: ComplianceReport, facts: RosterFacts | None = None) -> dict[str, Any]:
    """The report against the rules. `facts`: the roster on the report date (roster.py); when a
    contract is bound to it there, "actual" is the workers in post, per township or village."""
    county = CountyIn.model_validate(r.county)
    pack = reg.in_force(r.division_code, r.on)
    res = compute_staffing(pack, county, r.on, county_name=known().name(r.division_code))
    req: dict[tuple[str, str], list[Any]] = {}
    for f in res["figures"]:
        key = (f["unit_name"], f["role"])
        cur = req.setdefault(key, [0, f["explanation"]["citation"] if f["explanation"] else None])
        cur[0] += f["people"]
    source = ROSTER if facts is not None and facts.bound else TYPED
    act: dict[tuple[str, str], int] = {}
    if facts is not None and source == ROSTER:
        act = actual_by_unit(res["figures"], r.division_code, facts.units)
    else:
        for a in r.actual:
            key = (a["unit_name"], a["role"])
            act[key] = act.get(key, 0) + int(a["people"])
    units = []
    for key in sorted(set(req) | set(act)):
        need, cit = req.get(key, [0, None])
        have = act.get(key, 0)
        units.append(
            {
                "unit_name": key[0],
                "role": key[1],
                "required": need,
                "actual": have,
                "gap": need - have,
                "citation": cit,
                "source": source,
            }
        )
    pay_req, pay_cit = required_pay(pack, r.on)
    pay_level = Decimal(r.pay_level)
    pay = {
        "required": str(pay_req) if pay_req is not None else None,
        "actual": str(pay_level),
        "citation": pay_cit,
        "gap": str(pay_req - pay_level) if pay_req is not None else None,
        "ok": pay_req is None or pay_level >= pay_req,
    }
    tdv = pack.value("min_trainings_per_year", r.on)
    trainings = {
        "required": tdv.value if tdv else None,
        "held": r.trainings_held,
        "citation": str(tdv.citation) if tdv else None,
        "ok": tdv is None or r.trainings_held >= int(tdv.value),
    }
    documents = {
        "contract_ref": r.contract_ref,
        "working_funds_document": r.working_funds_document,
        "ok": bool(r.contract_ref) and bool(r.working_funds_document),
        "citation": "seed 000 三(二)",
    }
    due = due_date(pack, r.on)
    late = due is not None and r.submitted_at.date() > due
    required, actual = sum(u["required"] for u in units), sum(u["actual"] for u in units)
    short = any(u["gap"] > 0 for u in units)
    return {
        "division_code": r.division_code,
        "name": known().name(r.division_code),
        "year": r.year,
        "pack": pack.ref,
        "units": units,
        "required": required,
        "actual": actual,
        "gap": required - actual,
        "actual_source": source,
        "roster": facts.summary() if facts is not None and source == ROSTER else None,
        "pay": pay,
        "trainings": trainings,
        "documents": documents,
        "submitted_at": r.submitted_at,
        "due": due,
        "late": late,
        "compliant": not short and pay["ok"] and trainings["ok"] and documents["ok"],
    }


async def submit(
    session: AsyncSession,
    audit: AuditLog,
    reg: PackRegistry,
    principal: Principal,
    data: ReportIn,
    facts: RosterFacts | None = None,
) -> ComplianceReport:
    """`facts`: the roster on `data.on`; where a contract is bound to it, a typed count is refused."""
    code = data.county.division_code
    ensure_county(principal, data.county)
    if facts is not None and facts.bound and data.actual:
        raise ActualFromRoster(
            division=code, contracts="、".join(str(c.get("contract_id")) for c in facts.contracts)
        )
    pack = reg.in_force(code, data.on)
    compute_staffing(pack, data.county, data.on, explain=False)  # refuse now rather than on read
    repo = ComplianceRepository(session)
    fields = {
        "on": data.on,
        "county": data.county.model_dump(mode="json"),
        "actual": [a.model_dump(mode="json") for a in data.actual],
        "pay_level": data.pay_level,
        "contract_ref": data.contract_ref,
        "working_funds_document": data.working_funds_document,
        "trainings_held": data.trainings_held,
        "submitted_by": principal.sub,
        "submitted_at": clock.now(),
    }
    current = await repo.get(code, data.year, lock=True)  # row locked: concurrent updates serialise
    before = None
    if current is None:
        report = await repo.add(ComplianceReport(division_code=code, year=data.year, **fields))
        action = "compliance.submitted"
    else:
        if data.expected_version is None:
            href = f"/compliance/reports/{code}/{data.year}"
            named = (current.id, href) if POLICY.readable(principal, current) else None
            raise ReportExists(division=code, year=data.year, existing=named)
        if data.expected_version != current.version:
            raise ConcurrentUpdate()
        before = ReportOut.model_validate(current).model_dump(mode="json")
        for k, v in fields.items():
            setattr(current, k, v)
        await session.flush()
        report, action = current, "compliance.updated"
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=report.id,
        action=action,
        actor=principal,
        data=ReportOut.model_validate(report).model_dump(mode="json"),
        before=before,
        jurisdiction=code,
    )
    return report


async def report(
    session: AsyncSession,
    reg: PackRegistry,
    principal: Principal,
    division: str,
    year: int,
    roster: Callable[[str, date], Awaitable[RosterFacts | None]],
) -> dict[str, Any]:
    r = POLICY.check(principal, await ComplianceRepository(session).get(division, year))
    return evaluate(reg, r, await roster(r.division_code, r.on))


def _county_facts(facts: RosterFacts | None, county: str) -> RosterFacts | None:
    return facts.of_county(county) if facts is not None else None


def _area(code: str) -> dict[str, Any]:
    return {
        "division_code": code,
        "name": known().name(code),
        "reports": 0,
        "required": 0,
        "actual": 0,
        "gap": 0,
    }


async def summary(
    session: AsyncSession,
    reg: PackRegistry,
    principal: Principal,
    division: str,
    year: int,
    as_of: date,
    roster: Callable[[str, date], Awaitable[RosterFacts | None]],
) -> dict[str, Any]:
    POLICY.ensure_role(principal)
    if not principal.covers(division):  # a summary of an area outside yours looks absent
        raise ReportNotFound()
    reports = POLICY.filter(
        principal, await ComplianceRepository(session).under(divisions.prefix(division), year)
    )
    # One roster question per report date for the whole area, then each county's share of it.
    by_day: dict[date, RosterFacts | None] = {}
    for d in sorted({r.on for r in reports}):
        by_day[d] = await roster(division, d)
    rows = [evaluate(reg, r, _county_facts(by_day[r.on], r.division_code)) for r in reports]
    cities: dict[str, dict[str, Any]] = {}
    provinces: dict[str, dict[str, Any]] = {}
    for row in rows:
        code = row["division_code"]
        for bucket, key in ((cities, divisions.city_of(code)), (provinces, divisions.province_of(code))):
            acc = bucket.setdefault(key, _area(key))
            acc["reports"] += 1
            for f in ("required", "actual", "gap"):
                acc[f] += row[f]
    reported = {r.division_code for r in reports}
    overdue: list[dict[str, Any]] = []
    notes: list[str] = []
    any_due = False
    counties = [division] if divisions.level(division) == "county" else known().counties(division)
    for code in counties:
        try:
            pack = reg.in_force(code, as_of)
        except DomainError:
            continue
        due = due_date(pack, as_of)
        any_due = any_due or due is not None
        if due is not None and due.year == year and as_of > due and code not in reported:
            overdue.append(
                {"division_code": code, "name": known().name(code), "due": due.isoformat(), "pack": pack.ref}
            )
    if not any_due:
        notes.append("所适用的规则包未规定报送截止日，无逾期名单")
    return {
        "division_code": division,
        "year": year,
        "as_of": as_of,
        "counties": rows,
        "cities": [cities[k] for k in sorted(cities)],
        "provinces": [provinces[k] for k in sorted(provinces)],
        "overdue": overdue,
        "notes": notes,
    }
