"""Many counties at once (a province or the whole country): per-county totals, roll-ups by city
and province. Same rules as the single calculation, without per-figure text (batch fast path)."""

from __future__ import annotations

from typing import Any

from jiuzhu_kit import divisions
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import DomainError, FieldError, ValidationFailed
from jiuzhu_staffing.batch.schemas import BatchRequest
from jiuzhu_staffing.calc.staffing import compute_staffing
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.regions.known import KnownDivisions, UnknownDivisionCode, known


class DuplicateCounty(ValidationFailed):
    code = "DUPLICATE_COUNTY"
    zh = "同一县在批量请求中出现多次"
    en = "A county appears more than once in the batch"


def check_batch(principal: Principal, req: BatchRequest, k: KnownDivisions) -> None:
    """Refuse the whole batch on input errors (listing up to 50), before computing anything."""
    errors: list[FieldError] = []
    first: tuple[str, str] | None = None  # the first unknown code and its pointer
    seen: set[str] = set()
    dupes: list[FieldError] = []
    for i, c in enumerate(req.counties):
        code = c.division_code
        principal.ensure_covers(code)
        if not k.is_known(code):
            if first is None:
                first = (code, f"#/counties/{i}/division_code")
            errors.append(
                FieldError(
                    pointer=f"#/counties/{i}/division_code",
                    code="UNKNOWN_DIVISION_CODE",
                    detail=f"{code} 不是已知的行政区划代码",
                )
            )
        if code in seen:
            dupes.append(
                FieldError(
                    pointer=f"#/counties/{i}/division_code", code="DUPLICATE_COUNTY", detail=f"{code} 重复"
                )
            )
        seen.add(code)
    if first is not None:
        err = UnknownDivisionCode(*first)
        err.errors = errors[:50]
        raise err
    if dupes:
        raise DuplicateCounty(dupes[:50])


def _add(acc: dict[str, Any], totals: dict[str, int], townships: int) -> None:
    acc["counties"] += 1
    acc["townships"] += townships
    for role, n in totals.items():
        acc["totals"][role] = acc["totals"].get(role, 0) + n
    acc["total"] += sum(totals.values())


def _bucket(code: str, name: str) -> dict[str, Any]:
    return {"division_code": code, "name": name, "counties": 0, "townships": 0, "totals": {}, "total": 0}


def run_batch(reg: PackRegistry, req: BatchRequest, k: KnownDivisions | None = None) -> dict[str, Any]:
    k = k or known()
    rows: list[dict[str, Any]] = []
    cities: dict[str, dict[str, Any]] = {}
    provinces: dict[str, dict[str, Any]] = {}
    national = _bucket(divisions.NATIONAL, "全国")
    problems = 0
    for c in req.counties:
        code = c.division_code
        city, prov = divisions.city_of(code), divisions.province_of(code)
        row: dict[str, Any] = {
            "division_code": code,
            "name": c.name or k.name(code),
            "city": city,
            "province": prov,
            "pack": None,
            "townships": len(c.townships),
            "totals": {},
            "total": 0,
            "problem": None,
        }
        try:
            pack = reg.choose(code, req.on, req.pack, any_jurisdiction=True)
            res = compute_staffing(pack, c, req.on, explain=False, county_name=row["name"])
        except DomainError as exc:
            row["problem"] = {"code": exc.code, "detail": exc.detail("zh")}
            problems += 1
            rows.append(row)
            continue
        row["pack"], row["totals"], row["total"] = pack.ref, res["totals"], res["total"]
        rows.append(row)
        if city not in cities:
            cities[city] = _bucket(city, k.name(city))
        if prov not in provinces:
            provinces[prov] = _bucket(prov, k.name(prov))
        for acc in (cities[city], provinces[prov], national):
            _add(acc, res["totals"], len(c.townships))
    return {
        "on": req.on,
        "counties": rows,
        "cities": [cities[x] for x in sorted(cities)],
        "provinces": [provinces[x] for x in sorted(provinces)],
        "national": national,
        "problems": problems,
    }
