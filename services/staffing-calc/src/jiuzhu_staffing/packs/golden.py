"""Golden cases stored next to each pack (`<id>.golden.yaml`): the seeds' own numbers.

Each case states an input and the expected figures; `run_case` returns the mismatches (empty when
the pack reproduces the seed). The test suite runs every case of every file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from jiuzhu_staffing.calc.budget import PART_ZH, compute_budget
from jiuzhu_staffing.calc.schemas import BudgetRequest, CountyIn
from jiuzhu_staffing.calc.staffing import compute_staffing, pack_value
from jiuzhu_staffing.packs.loader import DATA_DIR
from jiuzhu_staffing.packs.registry import PackRegistry


def golden_files(directory: Path = DATA_DIR) -> list[Path]:
    return sorted(directory.glob("*.golden.yaml"))


def load_cases(path: Path) -> tuple[str, list[dict[str, Any]]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return str(doc["pack"]), list(doc["cases"])


def _day(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def run_case(reg: PackRegistry, pack_ref: str, case: dict[str, Any]) -> list[str]:
    pack = reg.get(pack_ref)
    kind = case["kind"]
    bad: list[str] = []

    def check(what: str, got: Any, want: Any) -> None:
        if str(got) != str(want):
            bad.append(f"{case['name']}: {what}: got {got!r}, want {want!r}")

    if kind == "bracket":
        dv = pack_value(pack, case["parameter"], _day(case["at"]))
        b = dv.bracket_for(int(case["input"]))
        check("value", b.value, case["expect"])
        if "phrase" in case:
            check("phrase", b.phrase, case["phrase"])
    elif kind == "value":
        dv = pack_value(pack, case["parameter"], _day(case["at"]))
        check("value", dv.value, case["expect"])
    elif kind == "staffing":
        county = CountyIn.model_validate(case["county"])
        result = compute_staffing(pack, county, _day(case["at"]))
        exp = case["expect"]
        for role, n in (exp.get("totals") or {}).items():
            check(f"totals.{role}", result["totals"].get(role, 0), n)
        if "total" in exp:
            check("total", result["total"], exp["total"])
        per_unit: dict[tuple[str, str], int] = {}
        for f in result["figures"]:
            k = (f["unit_name"], f["role"])
            per_unit[k] = per_unit.get(k, 0) + f["people"]
        for unit, roles in (exp.get("units") or {}).items():
            for role, n in roles.items():
                check(f"units.{unit}.{role}", per_unit.get((unit, role), 0), n)
    elif kind == "budget":
        req = BudgetRequest.model_validate(case["request"])
        people = req.people if req.people is not None else 0
        result = compute_budget(pack, req, people)
        exp = case["expect"]
        if "year_costs" in exp:
            check(
                "year_costs",
                [str(y["cost"]) for y in result["years"]],
                [str(Decimal(v)) for v in exp["year_costs"]],
            )
        for part in PART_ZH:
            if f"year_{part}" in exp:
                check(
                    f"year_{part}",
                    [str(y["parts"].get(part)) for y in result["years"]],
                    [str(Decimal(v)) for v in exp[f"year_{part}"]],
                )
        if "total_cost" in exp:
            check("total_cost", result["total_cost"], Decimal(exp["total_cost"]))
        for y, pays in (exp.get("position_pays") or {}).items():
            got = [str(p["pay"]) for p in result["years"][int(y) - 1]["positions"]]
            check(f"position_pays.year{y}", got, [str(Decimal(p)) for p in pays])
        if "working_funds" in exp:
            wf = result["working_funds"]
            check("working_funds", wf["amount"] if wf else None, Decimal(exp["working_funds"]))
        if "total_shortfall" in exp:
            check("total_shortfall", result["total_shortfall"], Decimal(exp["total_shortfall"]))
    else:
        bad.append(f"{case['name']}: unknown case kind {kind!r}")
    return bad
