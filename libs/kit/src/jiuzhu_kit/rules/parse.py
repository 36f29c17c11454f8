"""Validate one pack file's own content (before inheritance): header, dates, citations, units,
brackets, dated values without gap or overlap. Every problem is collected (file, path, what).

The format is the kit's; a service adds its units and its own sections through a `Spec`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from jiuzhu_kit import divisions
from jiuzhu_kit.rules.documents import find as find_document
from jiuzhu_kit.rules.model import Bracket, Citation, DatedValue, Pack, Parameter

MAX_DECIMAL_DIGITS = 18  # money and ratios in rules stay far below this; refuse a typo like 1E+99


class PackError(ValueError):
    """A rule pack was refused; `problems` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("规则包校验失败 (rule pack refused):\n  - " + "\n  - ".join(problems))


class Checker:
    def __init__(self, source: str, own_documents: frozenset[str] = frozenset()) -> None:
        self.source = source
        self.problems: list[str] = []
        # The pack's own document (its `cite_as` and number): a bureau's local pack cites its own
        # notice, which no registry of national and seed documents holds.
        self.own_documents = own_documents

    def fail(self, where: str, msg: str) -> None:
        self.problems.append(f"{self.source}: {where}: {msg}")


ValueParser = Callable[[Any, Checker, str], Any]


def non_negative_int(raw: Any, chk: Checker, where: str) -> Any:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        chk.fail(where, f"取值应为非负整数: {raw!r}")
    return raw


def non_negative_decimal(raw: Any, chk: Checker, where: str) -> Decimal:
    if isinstance(raw, float):
        chk.fail(where, f"金额/比例请写成字符串以免浮点误差: {raw!r}")
        return Decimal(0)
    try:
        d = Decimal(str(raw))
    except InvalidOperation:
        chk.fail(where, f"应为数字: {raw!r}")
        return Decimal(0)
    if (
        not d.is_finite()
        or len(d.as_tuple().digits) > MAX_DECIMAL_DIGITS
        or abs(d.adjusted()) > MAX_DECIMAL_DIGITS
    ):
        chk.fail(where, f"数值超出范围: {raw!r}")
        return Decimal(0)
    if d < 0:
        chk.fail(where, f"不能为负: {raw!r}")
    return d


def day(raw: Any, chk: Checker, where: str) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        chk.fail(where, f"日期格式不正确: {raw!r}")
        return None


def as_is(raw: Any, chk: Checker, where: str) -> Any:
    return raw


# Units every service has; a Spec adds its own (with their parser).
BASE_UNITS: dict[str, ValueParser] = {
    "count": non_negative_int,
    "year": non_negative_int,
    "day": non_negative_int,
    "working_day": non_negative_int,
    "yuan": non_negative_decimal,
    "yuan_per_year": non_negative_decimal,
    "yuan_per_month": non_negative_decimal,
    "ratio": non_negative_decimal,  # a fraction: 0.05 = 5 %
    "date": day,
}


@dataclass(frozen=True)
class Spec:
    """What a service adds to the format: units with their value parsers, bracket measures, extra
    top-level sections (parsed per file, then inherited: a child's non-empty section replaces its
    parent's), a last step over the resolved pack (checks across sections; returns the finished
    pack and appends problems), and the pack class to build."""

    units: Mapping[str, ValueParser] = field(default_factory=dict)
    measures: Mapping[str, str] = field(default_factory=dict)
    sections: Mapping[str, Callable[[Any, Checker], Any]] = field(default_factory=dict)
    finish: Callable[[Pack, list[str]], Pack] | None = None
    pack_class: type[Pack] = Pack
    serialize_sections: Callable[[Pack], dict[str, Any]] | None = None
    # What a local pack (rules/local.py) may set, by level: parameter → the levels allowed to.
    local_parameters: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def unit_parser(self, unit: str) -> ValueParser | None:
        return self.units.get(unit) or BASE_UNITS.get(unit)

    @property
    def unit_names(self) -> list[str]:
        return sorted({*BASE_UNITS, *self.units})


def citation(raw: Any, chk: Checker, where: str) -> Citation:
    if not isinstance(raw, dict) or not raw.get("document") or not raw.get("clause"):
        chk.fail(where, "缺少出处 citation {document, clause} (missing citation)")
        return Citation("?", "?")
    doc = str(raw["document"])
    if find_document(doc) is None and doc not in chk.own_documents:
        chk.fail(where, f"出处文件 {doc!r} 不在文件登记表中（jiuzhu_kit/rules/documents.yaml）")
    return Citation(doc, str(raw["clause"]))


def check_brackets(brackets: list[Bracket], chk: Checker, where: str) -> None:
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


def _brackets(v: dict[str, Any], parse: ValueParser, cit: Citation, chk: Checker, w: str) -> list[Bracket]:
    out: list[Bracket] = []
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
        bcit = citation(b["citation"], chk, bw) if "citation" in b else cit
        val = parse(b.get("value"), chk, f"{bw}.value")
        out.append(Bracket(lo, lo_inc, hi, hi_inc, val, str(b.get("phrase")), str(b.get("reading")), bcit))
    out.sort(key=lambda b: (b.lower, not b.lower_inclusive))
    check_brackets(out, chk, w)
    return out


def _contiguous(values: list[DatedValue], chk: Checker, where: str) -> tuple[DatedValue, ...]:
    """Sorted by start; each runs to the day before the next starts (an explicit `to` must agree)."""
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
    return tuple(fixed)


def parameter(name: str, raw: Any, pack_id: str, spec: Spec, chk: Checker) -> Parameter:
    where = f"parameters.{name}"
    if not isinstance(raw, dict):
        chk.fail(where, "参数应为对象")
        return Parameter(name, "count", name, ())
    unit = str(raw.get("unit"))
    parse = spec.unit_parser(unit)
    if parse is None:
        chk.fail(where, f"未知单位 {unit!r}（unknown unit; allowed: {', '.join(spec.unit_names)}）")
        parse = as_is
    measure = raw.get("measure")
    if measure is not None and measure not in spec.measures:
        chk.fail(where, f"未知计量依据 {measure!r}")
    values: list[DatedValue] = []
    for i, v in enumerate(raw.get("values") or []):
        w = f"{where}.values[{i}]"
        if not isinstance(v, dict):
            chk.fail(w, "取值应为对象 {from, value|brackets, citation}")
            continue
        cit = citation(v.get("citation"), chk, w)
        start = day(v.get("from"), chk, f"{w}.from")
        if start is None:
            chk.fail(w, "缺少生效日期 from")
            start = date.min
        end = day(v.get("to"), chk, f"{w}.to")
        verified = v.get("verified", True)
        if not isinstance(verified, bool):
            chk.fail(f"{w}.verified", "应为 true 或 false")
            verified = False
        if "brackets" in v:
            if measure is None:
                chk.fail(where, "档次参数须注明 measure（计量依据）")
            brackets = _brackets(v, parse, cit, chk, w)
            values.append(DatedValue(start, end, cit, None, tuple(brackets), v.get("note"), verified))
        else:
            if "value" not in v:
                chk.fail(w, "缺少 value 或 brackets")
            val = parse(v.get("value"), chk, f"{w}.value")
            values.append(DatedValue(start, end, cit, val, (), v.get("note"), verified))
    if not values:
        chk.fail(where, "没有任何取值")
    return Parameter(
        name,
        unit,
        str(raw.get("label") or name),
        _contiguous(values, chk, where),
        measure,
        str(raw.get("defined_in") or pack_id),
    )


HEADER = ("id", "version", "title", "cite_as", "issuer", "published", "effective_from", "jurisdiction")


def parse_pack(raw: Any, source: str, spec: Spec) -> tuple[dict[str, Any], list[str]]:
    """Validate one file's own content. Returns its pieces and its problems (not yet inherited)."""
    if not isinstance(raw, dict):
        return {}, [f"{source}: 文件内容应为对象"]
    own = frozenset(str(raw[k]) for k in ("cite_as", "document_number") if isinstance(raw.get(k), str))
    chk = Checker(source, own)
    for key in HEADER:
        if raw.get(key) in (None, ""):
            chk.fail(key, "必填")
    try:
        divisions.validate_division_code(str(raw.get("jurisdiction")))
    except divisions.InvalidDivisionCode as exc:
        chk.fail("jurisdiction", str(exc))
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 10_000:
        chk.fail("version", f"版本号应为 1–10000 的整数: {version!r}")
    pack_id = str(raw.get("id"))
    if not isinstance(raw.get("id"), str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", pack_id):
        chk.fail("id", f"规则包编号应为 1–64 位小写字母、数字或 -: {raw.get('id')!r}")
    params = raw.get("parameters") or {}
    if not isinstance(params, dict):
        chk.fail("parameters", "参数表应为对象")
        params = {}
    params = {n: parameter(n, p, pack_id, spec, chk) for n, p in params.items()}
    sections = {key: parse(raw.get(key), chk) for key, parse in spec.sections.items()}
    pieces = {
        "raw": raw,
        "params": params,
        "sections": sections,
        "effective_from": day(raw.get("effective_from"), chk, "effective_from"),
        "effective_to": day(raw.get("effective_to"), chk, "effective_to"),
        "published": day(raw.get("published"), chk, "published"),
    }
    return pieces, chk.problems
