"""Budget over the contract term: people × pay per year, assessments, working funds, sources.

Money is Decimal; each step that can produce fractions of a fen is rounded half-up to the fen
once, and the step names its rounding. Sums of rounded amounts need no further rounding.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.money import ROUNDING_RULE, round_fen
from jiuzhu_staffing.calc.schemas import BudgetRequest
from jiuzhu_staffing.calc.staffing import pack_value
from jiuzhu_staffing.packs.model import Pack

ZERO = Decimal("0.00")
# The parts of a year's people cost. Labour dispatch: what the employer (the dispatch company) pays
# on top of the wage — each social insurance, the housing fund — and the company's fee are parts of
# their own beside the wage, each from a dated, cited rate of the pack (its pay rule names them).
PART_ZH = {
    "wages": "工资",
    "employer_pension": "单位养老保险费",
    "employer_medical": "单位医疗保险费",
    "employer_maternity": "单位生育保险费",
    "employer_unemployment": "单位失业保险费",
    "employer_injury": "单位工伤保险费",
    "housing_fund": "单位住房公积金",
    "dispatch_fee": "派遣服务费",
}
# part → (the pay rule's parameter naming its rate, the step's name)
ON_TOP: dict[str, tuple[str, str]] = {
    "employer_pension": ("employer_pension_rate", "单位缴纳基本养老保险费 = 月工资 × 单位费率"),
    "employer_medical": ("employer_medical_rate", "单位缴纳职工基本医疗保险费 = 月工资 × 单位费率"),
    "employer_maternity": ("employer_maternity_rate", "单位缴纳生育保险费 = 月工资 × 单位费率"),
    "employer_unemployment": ("employer_unemployment_rate", "单位缴纳失业保险费 = 月工资 × 单位费率"),
    "employer_injury": ("employer_injury_rate", "单位缴纳工伤保险费 = 月工资 × 单位费率"),
    "housing_fund": ("employer_housing_fund_rate", "单位缴存住房公积金 = 月工资 × 单位比例"),
    "dispatch_fee": ("dispatch_fee_rate", "派遣服务费 = 月工资 × 费率"),
}


class PackHasNoPayRule(Conflict):
    code = "PACK_HAS_NO_PAY_RULE"
    zh = "规则包 {pack} 未规定工资待遇标准，无法测算经费"
    en = "Rule pack {pack} sets no pay rule; no budget can be computed"


class AssessmentsMismatch(Conflict):
    code = "ASSESSMENTS_MISMATCH"
    zh = "第 {year} 年考核结果有 {got} 项，应与购买人数 {people} 一致"
    en = "Year {year} has {got} assessment outcomes; expected one per position ({people})"


def add_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    day = min(d.day, 28)
    return d.replace(year=d.year + y, month=m + 1, day=day)


def _step(name: str, citation: str, amount: Decimal, reading: str, rounded: bool) -> dict[str, Any]:
    return {
        "name": name,
        "citation": citation,
        "amount": amount,
        "rounding": ROUNDING_RULE if rounded else None,
        "reading_zh": reading,
    }


def _minimum_wage_year(
    pack: Pack, start: date
) -> tuple[Decimal, list[dict[str, Any]], list[tuple[date, Decimal]]]:
    """One person's pay for the contract year starting `start`: month by month, 2 × minimum wage.
    Also each month's pay (for what the employer pays on top of it)."""
    names = pack.pay.params if pack.pay else {}
    total = ZERO
    months: list[tuple[date, Decimal]] = []
    segments: list[tuple[Decimal, Decimal, str, int]] = []  # multiple, wage, citation, months
    for k in range(12):
        month_start = add_months(start, k)
        wage = pack_value(pack, names["minimum_wage"], month_start)
        mult = pack_value(pack, names["multiple"], month_start)
        monthly = round_fen(Decimal(mult.value) * Decimal(wage.value))
        total += monthly
        months.append((month_start, monthly))
        if segments and segments[-1][1] == wage.value and segments[-1][0] == mult.value:
            m, w, c, n = segments[-1]
            segments[-1] = (m, w, c, n + 1)
        else:
            segments.append((mult.value, wage.value, f"{mult.citation}; {wage.citation}", 1))
    steps = [
        _step(
            "月工资 = 最低工资标准 × 倍数",
            cit,
            round_fen(m * w),
            f"{n}个月 × ({m} × {w}元/月) = {round_fen(m * w) * n}元",
            True,
        )
        for m, w, cit, n in segments
    ]
    return total, steps, months


def _on_top(
    pack: Pack, part: str, months: list[tuple[date, Decimal]]
) -> tuple[Decimal, list[dict[str, Any]]] | None:
    """What is paid for one person on top of the pay as `part` (an employer's contribution, the
    dispatch company's fee), month by month at the rate in force (base: the pay itself), each month
    rounded to the fen; None when the pack's pay rule names no rate for it. The seed's pay is the
    wage only (灵政办发〔2018〕201号 四(六): 含个人应承担的各项社会保险缴费)."""
    param, label = ON_TOP[part]
    name = pack.pay.params.get(param) if pack.pay else None
    if name is None:
        return None
    total = ZERO
    segments: list[tuple[Decimal, str, Decimal, int]] = []  # rate, citation, amount, months
    for month_start, pay in months:
        rate = pack_value(pack, name, month_start)
        amount = round_fen(pay * Decimal(rate.value))
        total += amount
        cite = str(rate.citation) + ("" if rate.verified else "（未核实）")
        if segments and segments[-1][:3] == (rate.value, cite, amount):
            r, c, a, n = segments[-1]
            segments[-1] = (r, c, a, n + 1)
        else:
            segments.append((rate.value, cite, amount, 1))
    steps = [
        _step(
            label,
            cite,
            amount,
            f"{n}个月 × {amount}元（费率 {(Decimal(r) * 100).normalize():f}%，以工资为基数） = {amount * n}元",
            True,
        )
        for r, cite, amount, n in segments
    ]
    return total, steps


def compute_budget(pack: Pack, req: BudgetRequest, people: int) -> dict[str, Any]:
    if pack.pay is None:
        raise PackHasNoPayRule(pack=pack.ref)
    names = pack.pay.params
    years = req.years or int(pack_value(pack, names["contract_years"], req.start).value)
    for k, outcomes in enumerate(req.assessments, start=1):
        if len(outcomes) != people:
            raise AssessmentsMismatch(year=k, got=len(outcomes), people=people)
    notes: list[str] = []
    out_years: list[dict[str, Any]] = []
    pays: list[Decimal] = []
    bases: list[str] = []
    for y in range(1, years + 1):
        y_start = add_years(req.start, y - 1)
        y_end = add_years(req.start, y)
        steps: list[dict[str, Any]] = []
        parts: dict[str, Decimal] = {}
        if pack.pay.kind == "fixed_with_raise":
            first = pack_value(pack, names["first_year_pay"], y_start)
            rate = pack_value(pack, names["raise_rate"], y_start)
            first_pay = round_fen(Decimal(first.value))
            if y == 1:
                pays = [first_pay] * people
                bases = ["第一年工资"] * people
                steps.append(
                    _step("第一年人均工资", str(first.citation), first_pay, f"第一年人均{first_pay}元", False)
                )
            else:
                prev = req.assessments[y - 2] if len(req.assessments) >= y - 1 else ["qualified"] * people
                new: list[Decimal] = []
                bases = []
                for pay, outcome in zip(pays, prev, strict=True):
                    if outcome == "qualified":
                        new.append(round_fen(pay * (1 + Decimal(rate.value))))
                        bases.append(f"上年考核合格，上年{pay}元×(1+{rate.value})，四舍五入到分")
                    else:
                        new.append(first_pay)
                        bases.append("上年考核不合格，不再续聘，新聘人员按第一年工资")
                pays = new
                raised = sum(1 for o in prev if o == "qualified")
                steps.append(
                    _step(
                        "年度调薪",
                        f"{rate.citation}; seed 000 四(三)",
                        sum(pays, ZERO),
                        f"{raised}人考核合格按{Decimal(rate.value) * 100:.0f}%递增（每人四舍五入到分），"
                        f"{people - raised}人不合格由新聘人员按第一年工资{first_pay}元替补",
                        True,
                    )
                )
        else:
            per_person, steps, months = _minimum_wage_year(pack, y_start)
            pays = [per_person] * people
            for part in ON_TOP:
                if part == "dispatch_fee" and req.dispatch_fee_rate is not None:
                    continue  # the company's quoted rate, below
                each = _on_top(pack, part, months)
                if each is not None:
                    steps.extend(each[1])
                    parts[part] = each[0] * people
            prev = req.assessments[y - 2] if y > 1 and len(req.assessments) >= y - 1 else []
            replaced = sum(1 for o in prev if o == "unqualified")
            bases = ["最低工资标准×倍数，逐月计算"] * people
            if replaced:
                notes.append(
                    f"第{y}年：{replaced}人上年考核不合格，由派遣公司重新选配（灵政办发〔2018〕201号 四(八)），工资标准不变"
                )
        wages = sum(pays, ZERO)
        parts = {"wages": wages, **parts}
        if req.dispatch_fee_rate is not None:
            parts["dispatch_fee"] = round_fen(wages * req.dispatch_fee_rate)
            steps.append(
                _step(
                    "派遣服务费 = 工资合计 × 费率",
                    "按派遣公司报价（请求中的 dispatch_fee_rate，优先于规则包的占位费率）",
                    parts["dispatch_fee"],
                    f"{wages}元 × {req.dispatch_fee_rate * 100:g}% = {parts['dispatch_fee']}元（四舍五入到分）",
                    True,
                )
            )
        cost = sum(parts.values(), ZERO)
        reading = "、".join(f"{PART_ZH[k]}{v}元" for k, v in parts.items())
        steps.append(
            _step(
                "年度人员经费合计", pack.cite_as, cost, f"第{y}年{people}人：{reading}，合计{cost}元", False
            )
        )
        out_years.append(
            {
                "year": y,
                "start": y_start,
                "end": y_end,
                "people": people,
                "cost": cost,
                "parts": parts,
                "positions": [
                    {"position": i + 1, "pay": p, "basis": b}
                    for i, (p, b) in enumerate(zip(pays, bases, strict=True))
                ],
                "steps": steps,
            }
        )
    working = _working_funds(pack, req, notes)
    available = _sources(req, working)
    funding_totals: dict[str, Decimal] = {}
    total_short = ZERO
    for yr in out_years:
        remaining = yr["cost"]
        alloc: dict[str, Decimal] = {}
        for source, amount in available:
            used = min(remaining, amount)
            alloc[source] = alloc.get(source, ZERO) + used
            remaining -= used
        yr["funding"] = alloc
        yr["shortfall"] = remaining
        total_short += remaining
        for src, v in alloc.items():
            funding_totals[src] = funding_totals.get(src, ZERO) + v
    return {
        "division_code": req.division_code,
        "years": out_years,
        "total_cost": sum((y["cost"] for y in out_years), ZERO),
        "funding_totals": funding_totals,
        "total_shortfall": total_short,
        "fits": total_short == 0,
        "working_funds": working,
        "notes": notes,
    }


def _working_funds(pack: Pack, req: BudgetRequest, notes: list[str]) -> dict[str, Any] | None:
    if req.dibao_spending_last_year is None:
        return None
    rate = pack.value("working_funds_rate", req.start)
    if rate is None:
        notes.append(f"规则包 {pack.ref} 未规定工作经费比例，未测算工作经费")
        return None
    amount = round_fen(req.dibao_spending_last_year * Decimal(rate.value))
    declared = next((f.annual_amount for f in req.funding if f.source == "working_funds"), None)
    exceeds = declared is not None and declared > amount
    if exceeds:
        notes.append(f"申报的工作经费 {declared} 元超过测算额 {amount} 元，按测算额计入")
    return {
        "dibao_spending_last_year": req.dibao_spending_last_year,
        "rate": str(rate.value),
        "amount": amount,
        "step": _step(
            "工作经费 = 上年低保资金支出 × 比例",
            str(rate.citation),
            amount,
            f"{req.dibao_spending_last_year}元 × {Decimal(rate.value) * 100:.0f}% = {amount}元（四舍五入到分）",
            True,
        ),
        "declared": declared,
        "exceeds_computed": exceeds,
    }


def _sources(req: BudgetRequest, working: dict[str, Any] | None) -> list[tuple[str, Decimal]]:
    """Annual amounts per declared source, in the order declared (working funds capped)."""
    out: list[tuple[str, Decimal]] = []
    for f in req.funding:
        amount = f.annual_amount
        if f.source == "working_funds" and working is not None:
            amount = min(amount, working["amount"])
        out.append((f.source, amount))
    return out


def assessments_from_outcomes(
    staff: list[dict[str, Any]], start: date, years: int, people: int
) -> tuple[list[list[str]], list[str]]:
    """The evaluation service's outcomes of a contract's staff (`/staff-assessments/outcomes`: per
    staff_ref, per year, qualified or not) as the per-position lists `compute_budget` takes: list k is
    the assessment of year start.year + k − 1, which sets year k + 1's pay (seed 000 二(七): +5 % per
    year qualified; 四(三): unqualified → replaced at first-year pay). Positions follow the staff refs
    in order; a position nobody was assessed for that year is projected qualified. Stops at the first
    year nobody was assessed (later years are projected, as without assessments)."""
    out: list[list[str]] = []
    notes: list[str] = []
    refs = sorted(str(s.get("staff_ref")) for s in staff)
    by_ref = {
        str(s.get("staff_ref")): {int(y["year"]): bool(y["qualified"]) for y in s.get("years") or []}
        for s in staff
    }
    for k in range(1, years):
        year = start.year + k - 1
        assessed = [(r, by_ref[r][year]) for r in refs if year in by_ref[r]]
        if not assessed:
            break
        if len(assessed) > people:
            raise AssessmentsMismatch(year=k, got=len(assessed), people=people)
        outcomes = ["qualified" if ok else "unqualified" for _, ok in assessed]
        failed = outcomes.count("unqualified")
        outcomes += ["qualified"] * (people - len(outcomes))
        out.append(outcomes)
        notes.append(
            f"{year}年度考核取自评价服务：{len(assessed)}人考核，{failed}人不合格"
            + (f"，{people - len(assessed)}个岗位无考核结果按合格预测" if len(assessed) < people else "")
        )
    return out, notes
