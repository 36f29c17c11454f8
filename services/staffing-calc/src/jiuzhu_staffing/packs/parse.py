"""Validate one rule-pack file's own content (before inheritance): fields, units, dates,
citations, brackets, pay rules. Every problem is collected (file, path, what is wrong).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from jiuzhu_kit import divisions
from jiuzhu_staffing.packs.model import (
    MEASURES,
    ROLES,
    UNIT_KINDS,
    UNITS,
    Bracket,
    Citation,
    DatedValue,
    Parameter,
    PayRule,
    StaffingRule,
)

PAY_KINDS = {
    "fixed_with_raise": ("first_year_pay", "raise_rate", "contract_years"),
    "minimum_wage_multiple": ("minimum_wage", "multiple", "contract_years"),
}
INT_UNITS = {"person", "person_per_unit", "year", "count", "session_per_year"}
DECIMAL_UNITS = {"yuan_per_year", "yuan_per_month", "ratio"}


class PackError(ValueError):
    """A rule pack was refused; `problems` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("规则包校验失败 (rule pack refused):\n  - " + "\n  - ".join(problems))


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def fail(self, where: str, msg: str) -> None:
        self.problems.append(f"{self.source}: {where}: {msg}")


def _citation(raw: Any, chk: _Checker, where: str) -> Citation:
    if not isinstance(raw, dict) or not raw.get("document") or not raw.get("clause"):
        chk.fail(where, "缺少出处 citation {document, clause} (missing citation)")
        return Citation("?", "?")
    return Citation(str(raw["document"]), str(raw["clause"]))


def _day(raw: Any, chk: _Checker, where: str) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        chk.fail(where, f"日期格式不正确: {raw!r}")
        return None


def _scalar(unit: str, raw: Any, chk: _Checker, where: str) -> Any:
    if unit in INT_UNITS:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            chk.fail(where, f"单位 {unit} 的取值应为非负整数: {raw!r}")
        return raw
    if unit in DECIMAL_UNITS:
        if isinstance(raw, float):
            chk.fail(where, f"金额/比例请写成字符串以免浮点误差: {raw!r}")
            return Decimal(0)
        try:
            d = Decimal(str(raw))
        except InvalidOperation:
            chk.fail(where, f"应为数字: {raw!r}")
            return Decimal(0)
        if d < 0:
            chk.fail(where, f"不能为负: {raw!r}")
        return d
    if unit == "date":
        return _day(raw, chk, where)
    if unit == "allocation":
        return _allocation(raw, chk, where)
    if unit == "schedule":
        return _schedule(raw, chk, where)
    return raw


def _allocation(raw: Any, chk: _Checker, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("units"), dict):
        chk.fail(
            where, "分配表应为 {units: {单位: 人数}, default: n, canonical_units: [...], expected_total: n}"
        )
        return {"units": {}, "default": 0, "canonical_units": [], "expected_total": 0}
    units: dict[str, int] = {}
    for k, v in raw["units"].items():
        units[str(k)] = int(_scalar("person", v, chk, f"{where}.units.{k}") or 0)
    default = int(_scalar("person", raw.get("default", 0), chk, f"{where}.default") or 0)
    canonical = [str(u) for u in raw.get("canonical_units", [])]
    total = sum(units.get(u, default) for u in canonical)
    if "expected_total" in raw and total != raw["expected_total"]:
        chk.fail(where, f"分配合计 {total} 与文件所定总数 {raw['expected_total']} 不符")
    out = {"units": units, "default": default, "canonical_units": canonical, "expected_total": total}
    if raw.get("county_unit"):
        out["county_unit"] = str(raw["county_unit"])
    return out


def _schedule(raw: Any, chk: _Checker, where: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "时间表应为阶段列表")
        return []
    out = []
    for i, ph in enumerate(raw):
        start, end = (
            _day(ph.get("start"), chk, f"{where}[{i}].start"),
            _day(ph.get("end"), chk, f"{where}[{i}].end"),
        )
        if start and end and end < start:
            chk.fail(f"{where}[{i}]", "阶段结束早于开始")
        out.append({**ph, "start": start, "end": end})
    return out


def check_brackets(brackets: list[Bracket], chk: _Checker, where: str) -> None:
    """Brackets must cover [0, ∞) exactly once: no gap, no overlap, explicit bounds."""
    if not brackets:
        chk.fail(where, "档次为空")
        return
    first, last = brackets[0], brackets[-1]
    if first.lower != 0 or not first.lower_inclusive:
        chk.fail(where, f"第一档应从 0（含）开始，实际为 {first.range_text}")
    if last.upper is not None:
        chk.fail(where, f"最后一档应无上限，实际为 {last.range_text}（{last.upper} 以上没有档次）")
    for b in brackets:
        if b.upper is not None and (
            b.upper < b.lower or (b.upper == b.lower and not (b.lower_inclusive and b.upper_inclusive))
        ):
            chk.fail(where, f"档次 {b.range_text} 为空区间")
    for a, b in zip(brackets, brackets[1:], strict=False):
        if a.upper is None:
            chk.fail(where, f"档次 {a.range_text} 无上限，与 {b.range_text} 重叠")
            continue
        if a.upper < b.lower or (a.upper == b.lower and not a.upper_inclusive and not b.lower_inclusive):
            chk.fail(where, f"档次 {a.range_text} 与 {b.range_text} 之间有空档（gap）")
        elif a.upper > b.lower or (a.upper_inclusive and b.lower_inclusive):
            chk.fail(where, f"档次 {a.range_text} 与 {b.range_text} 重叠（overlap at {b.lower}）")


def _parameter(name: str, raw: Any, pack_id: str, chk: _Checker) -> Parameter:
    where = f"parameters.{name}"
    if not isinstance(raw, dict):
        chk.fail(where, "参数应为对象")
        return Parameter(name, "count", name, ())
    unit = str(raw.get("unit"))
    if unit not in UNITS:
        chk.fail(where, f"未知单位 {unit!r}（unknown unit; allowed: {', '.join(sorted(UNITS))}）")
    measure = raw.get("measure")
    if measure is not None and measure not in MEASURES:
        chk.fail(where, f"未知计量依据 {measure!r}")
    values: list[DatedValue] = []
    for i, v in enumerate(raw.get("values") or []):
        w = f"{where}.values[{i}]"
        cit = _citation(v.get("citation"), chk, w)
        start = _day(v.get("from"), chk, f"{w}.from")
        if start is None:
            chk.fail(w, "缺少生效日期 from")
            start = date.min
        end = _day(v.get("to"), chk, f"{w}.to")
        brackets: list[Bracket] = []
        if "brackets" in v:
            if measure is None:
                chk.fail(where, "档次参数须注明 measure（按户数或户籍人口）")
            for j, b in enumerate(v["brackets"]):
                bw = f"{w}.brackets[{j}]"
                try:
                    lo, lo_inc, hi, hi_inc = Bracket.parse_range(str(b.get("range")))
                except ValueError as exc:
                    chk.fail(bw, str(exc))
                    continue
                for key in ("phrase", "reading"):
                    if not b.get(key):
                        chk.fail(bw, f"档次缺少 {key}（须记录所编码的原文措辞及其解读）")
                bcit = _citation(b["citation"], chk, bw) if "citation" in b else cit
                val = _scalar(unit, b.get("value"), chk, f"{bw}.value")
                brackets.append(
                    Bracket(lo, lo_inc, hi, hi_inc, val, str(b.get("phrase")), str(b.get("reading")), bcit)
                )
            brackets.sort(key=lambda b: (b.lower, not b.lower_inclusive))
            check_brackets(brackets, chk, w)
            values.append(DatedValue(start, end, cit, None, tuple(brackets), v.get("note")))
        else:
            if "value" not in v:
                chk.fail(w, "缺少 value 或 brackets")
            values.append(
                DatedValue(
                    start, end, cit, _scalar(unit, v.get("value"), chk, f"{w}.value"), (), v.get("note")
                )
            )
    if not values:
        chk.fail(where, "没有任何取值")
    values.sort(key=lambda d: d.start)
    fixed: list[DatedValue] = []
    for cur, nxt in zip(values, [*values[1:], None], strict=False):
        if nxt is not None:
            implied = nxt.start - timedelta(days=1)
            if cur.end is not None and cur.end > implied:
                chk.fail(where, f"取值 {cur.start}–{cur.end} 与 {nxt.start} 起的取值重叠")
            elif cur.end is not None and cur.end < implied:
                chk.fail(where, f"取值 {cur.end} 至 {nxt.start} 之间无定义（gap）")
            cur = replace(cur, end=implied)
        fixed.append(cur)
    return Parameter(
        name,
        unit,
        str(raw.get("label") or name),
        tuple(fixed),
        measure,
        str(raw.get("defined_in") or pack_id),
    )


def parse_pack(raw: Any, source: str) -> tuple[dict[str, Any], list[str]]:
    """Validate one file's own content. Returns the pieces and its problems (not yet inherited)."""
    chk = _Checker(source)
    if not isinstance(raw, dict):
        return {}, [f"{source}: 文件内容应为对象"]
    for key in ("id", "version", "title", "cite_as", "issuer", "published", "effective_from", "jurisdiction"):
        if raw.get(key) in (None, ""):
            chk.fail(key, "必填")
    try:
        divisions.validate_division_code(str(raw.get("jurisdiction")))
    except divisions.InvalidDivisionCode as exc:
        chk.fail("jurisdiction", str(exc))
    pack_id = str(raw.get("id"))
    params = {n: _parameter(n, p, pack_id, chk) for n, p in (raw.get("parameters") or {}).items()}
    rules: list[StaffingRule] = []
    for i, r in enumerate(raw.get("staffing") or []):
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
    pay = None
    if raw.get("pay"):
        kind = raw["pay"].get("kind")
        if kind not in PAY_KINDS:
            chk.fail("pay.kind", f"未知薪酬规则 {kind!r}")
        else:
            missing = [k for k in PAY_KINDS[kind] if k not in (raw["pay"].get("params") or {})]
            if missing:
                chk.fail("pay.params", f"缺少 {missing}")
        pay = PayRule(str(kind), dict(raw["pay"].get("params") or {}))
    pieces = {
        "raw": raw,
        "params": params,
        "rules": rules,
        "pay": pay,
        "effective_from": _day(raw.get("effective_from"), chk, "effective_from"),
        "effective_to": _day(raw.get("effective_to"), chk, "effective_to"),
        "published": _day(raw.get("published"), chk, "published"),
    }
    return pieces, chk.problems
