"""Procurement's own rule units besides the catalogue's: a method's legal grounds, a fraction
(the experts' share of a panel is 2/3, which no decimal holds exactly), and a grade scale (the share
of a payment released for each evaluation grade)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from jiuzhu_kit.rules.model import Citation
from jiuzhu_kit.rules.parse import Checker, citation
from jiuzhu_procurement.expert.draw import REASON_KEYS  # the draw's own list (pure, no I/O)


@dataclass(frozen=True)
class Ground:
    """One legal ground for using a method, with the clause that allows it."""

    key: str
    citation: Citation


def parse_grounds(raw: Any, chk: Checker, where: str) -> tuple[Ground, ...]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "适用情形应为非空列表 [{key, citation}]")
        return ()
    out: list[Ground] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key.isascii() or not key.replace("_", "").isalnum():
            chk.fail(f"{w}.key", "应为英文标识（字母、数字、下划线）")
            continue
        out.append(Ground(key, citation(item.get("citation"), chk, f"{w}.citation")))
    if len({g.key for g in out}) != len(out):
        chk.fail(where, "适用情形重复")
    return tuple(out)


def parse_fraction(raw: Any, chk: Checker, where: str) -> Fraction:
    """A fraction "a/b" with 0 ≤ a ≤ b, b > 0 (written as text, like every decimal in a pack)."""
    num, slash, den = str(raw).partition("/")
    if not (
        isinstance(raw, str) and slash and num.isascii() and num.isdigit() and den.isascii() and den.isdigit()
    ):
        chk.fail(where, f'比例应写成 "分子/分母"，如 "2/3": {raw!r}')
        return Fraction(0)
    if int(den) == 0 or int(num) > int(den):
        chk.fail(where, f"比例应在 0 与 1 之间: {raw!r}")
        return Fraction(0)
    return Fraction(int(num), int(den))


@dataclass(frozen=True)
class GradeRatio:
    """The share of a scheduled payment released for one evaluation grade (its label, e.g. 合格)."""

    grade: str
    ratio: Decimal


def parse_grade_scale(raw: Any, chk: Checker, where: str) -> tuple[GradeRatio, ...]:
    """A non-empty list of {grade, ratio}: each grade once, each ratio a decimal string in [0, 1]
    (a scaled payment never exceeds its scheduled amount, so the schedule still adds up)."""
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "等级比例应为非空列表 [{grade, ratio}]")
        return ()
    out: list[GradeRatio] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        grade = item.get("grade") if isinstance(item, dict) else None
        ratio = item.get("ratio") if isinstance(item, dict) else None
        if not isinstance(grade, str) or not grade.strip() or len(grade) > 20:
            chk.fail(f"{w}.grade", "等级应为 1–20 个字符的名称（如 合格）")
            continue
        try:
            r = Decimal(ratio) if isinstance(ratio, str) else None
        except InvalidOperation:
            r = None
        if r is None or not r.is_finite() or not Decimal(0) <= r <= Decimal(1):
            chk.fail(f"{w}.ratio", f'比例应写成 0 至 1 之间的小数字符串，如 "0.90": {ratio!r}')
            continue
        out.append(GradeRatio(grade.strip(), r))
    if len({g.grade for g in out}) != len(out):
        chk.fail(where, "等级重复")
    return tuple(out)


@dataclass(frozen=True)
class ExclusionReason:
    """Why an expert of the frozen pool may not be drawn (回避 and the pool's own conditions), with
    the clauses that say so; the draw (expert/draw.py) decides which applies, the pack says why."""

    key: str
    name_zh: str
    name_en: str
    citations: tuple[Citation, ...]
    verified: bool = True

    @property
    def cite(self) -> str:
        return "; ".join(str(c) for c in self.citations) + ("" if self.verified else "（未核实）")


def parse_exclusion_reasons(raw: Any, chk: Checker, where: str) -> tuple[ExclusionReason, ...]:
    """Every reason the draw can give, once each: [{key, name_zh, name_en, citations, verified?}].
    A reason the draw knows but the pack leaves out would publish an exclusion without its clause,
    so the pack must name them all (expert/draw.py REASON_KEYS, in the draw's order)."""
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "回避及排除事由应为非空列表 [{key, name_zh, name_en, citations}]")
        return ()
    out: list[ExclusionReason] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            chk.fail(w, "应为 {key, name_zh, name_en, citations}")
            continue
        key, zh, en, cites = item.get("key"), item.get("name_zh"), item.get("name_en"), item.get("citations")
        if key not in REASON_KEYS:
            chk.fail(f"{w}.key", f"未知的排除事由 {key!r}（可用：{', '.join(REASON_KEYS)}）")
            continue
        if not isinstance(zh, str) or not zh.strip() or not isinstance(en, str) or not en.strip():
            chk.fail(w, "name_zh 与 name_en 均不可为空")
            continue
        if not isinstance(cites, list) or not cites:
            chk.fail(f"{w}.citations", "每项事由至少一处出处")
            continue
        parsed = tuple(citation(c, chk, f"{w}.citations[{k}]") for k, c in enumerate(cites))
        out.append(
            ExclusionReason(str(key), zh.strip(), en.strip(), parsed, item.get("verified", True) is not False)
        )
    keys = [r.key for r in out]
    if len(set(keys)) != len(keys):
        chk.fail(where, "排除事由重复")
    elif len(out) == len(raw) and tuple(keys) != REASON_KEYS:
        chk.fail(where, f"排除事由应依次为 {', '.join(REASON_KEYS)}（抽取时按此顺序判断）")
    return tuple(out)
