"""What-if: one county under two packs or two dates, side by side, with the differences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiuzhu_kit.auth import Principal
from jiuzhu_kit.rules import reform
from jiuzhu_staffing.calc.budget import compute_budget
from jiuzhu_staffing.calc.schemas import BudgetRequest, StaffingRequest, StaffingResult
from jiuzhu_staffing.calculation import service as calc
from jiuzhu_staffing.packs.parse import SPEC
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.whatif.schemas import Side, WhatIfRequest, WhatIfResult


def _side(
    reg: PackRegistry, req: WhatIfRequest, side: Side
) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    """One side: its pack (with this side's reforms applied), its result, the reforms applied."""
    chosen = reg.choose(req.county.division_code, side.on, side.pack, any_jurisdiction=True)
    changes = [
        reform.Change(
            c.parameter, c.start, c.value, [b.model_dump() for b in c.brackets] if c.brackets else None
        )
        for c in side.changes
    ]
    pack, applied = reform.apply(chosen, changes, SPEC)
    raw = calc.staffing_on(pack, StaffingRequest(county=req.county, on=side.on, pack=side.pack))
    return pack, StaffingResult.model_validate(raw).model_dump(mode="json"), applied


def compare(reg: PackRegistry, principal: Principal, req: WhatIfRequest) -> WhatIfResult:
    calc.ensure_county(principal, req.county)
    pack_a, a, changes_a = _side(reg, req, req.a)
    pack_b, b, changes_b = _side(reg, req, req.b)

    def by_unit(res: dict[str, Any]) -> dict[tuple[str, str, str], tuple[int, str | None]]:
        out: dict[tuple[str, str, str], tuple[int, str | None]] = {}
        for f in res["figures"]:
            key = (f["unit_name"], f["unit_kind"], f["role"])
            n, _ = out.get(key, (0, None))
            out[key] = (n + f["people"], (f["explanation"] or {}).get("reading_zh"))
        return out

    ua, ub = by_unit(a), by_unit(b)
    diffs = []
    for key in sorted(set(ua) | set(ub)):
        (na, ra), (nb, rb) = ua.get(key, (0, None)), ub.get(key, (0, None))
        if na != nb:
            diffs.append(
                {
                    "unit_name": key[0],
                    "unit_kind": key[1],
                    "role": key[2],
                    "a": na,
                    "b": nb,
                    "delta": nb - na,
                    "a_reading_zh": ra,
                    "b_reading_zh": rb,
                }
            )
    roles = sorted(set(a["totals"]) | set(b["totals"]))
    totals = {
        r: {
            "a": a["totals"].get(r, 0),
            "b": b["totals"].get(r, 0),
            "delta": b["totals"].get(r, 0) - a["totals"].get(r, 0),
        }
        for r in roles
    }
    budget = None
    if req.budget is not None:
        costs = []
        for pack, side, res in ((pack_a, req.a, a), (pack_b, req.b, b)):
            breq = BudgetRequest(
                division_code=req.county.division_code,
                start=side.on,
                people=res["total"],
                years=req.budget.years,
                assessments=req.budget.assessments,
                dibao_spending_last_year=req.budget.dibao_spending_last_year,
            )
            costs.append(compute_budget(pack, breq, res["total"]))
        ya, yb = costs[0]["years"], costs[1]["years"]
        years = []
        for i in range(max(len(ya), len(yb))):
            ca = ya[i]["cost"] if i < len(ya) else Decimal("0.00")
            cb = yb[i]["cost"] if i < len(yb) else Decimal("0.00")
            years.append({"year": i + 1, "a": str(ca), "b": str(cb), "delta": str(cb - ca)})
        budget = {
            "a_total": costs[0]["total_cost"],
            "b_total": costs[1]["total_cost"],
            "delta": costs[1]["total_cost"] - costs[0]["total_cost"],
            "years": years,
        }
    return WhatIfResult.model_validate(
        {
            "a": a,
            "b": b,
            "differences": diffs,
            "totals": totals,
            "total_delta": b["total"] - a["total"],
            "budget": budget,
            "changes": {k: v for k, v in (("a", changes_a), ("b", changes_b)) if v},
        }
    )
