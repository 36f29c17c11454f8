"""Indicator-tree rules as plain functions (no I/O): weights, indicator scoring, totals, grades.

Scores are 0–100. Weights are percentages (Decimal, at most 2 places) that must sum to exactly 100
among siblings. Intermediate values keep full Decimal precision; a total is rounded ONCE, half-up to
0.01 (ROUNDING_RULE), and the grade is read from the rounded total, so 89.99 → 良好 and
90.00 → 优秀 exactly (the band minimum is inclusive: 「以上」 includes the number, 民法典 第1259条).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ROUNDING_RULE = "总分保留两位小数，四舍五入 (ROUND_HALF_UP to 0.01); 等级按取整后的总分判定"

INDICATOR_TYPES = ("likert", "threshold", "deduction", "count", "computed")
COMPUTED_SOURCES = ("survey_share_satisfied", "survey_response_rate", "survey_mean")


def round_score(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class GradeBand:
    """A grade from `min_score` (inclusive) up to the next band's minimum (exclusive)."""

    code: str
    label: str
    min_score: Decimal
    passed: bool


# The bands are data: the rule `grade_bands` (rulebook/data, dated and cited) gives the built-in
# templates theirs and a new template the ones in force when it names none; a template may set its own.


def check_bands(bands: Sequence[GradeBand]) -> list[str]:
    """Bands must cover 0–100 without gaps or overlaps: distinct minimums, the lowest at 0."""
    problems = []
    mins = [b.min_score for b in bands]
    if not bands:
        return ["至少需要一个等级"]
    if len(set(mins)) != len(mins):
        problems.append("等级下限重复")
    if min(mins) != 0:
        problems.append("最低等级的下限必须为 0（不留空档）")
    if any(m < 0 or m > HUNDRED for m in mins):
        problems.append("等级下限须在 0–100 之间")
    if len({b.code for b in bands}) != len(bands):
        problems.append("等级代码重复")
    ordered = sorted(bands, key=lambda b: b.min_score, reverse=True)
    seen_fail = False
    for b in ordered:  # passing bands must all sit above failing ones
        if not b.passed:
            seen_fail = True
        elif seen_fail:
            problems.append("合格等级不能低于不合格等级")
    return problems


def grade_of(total: Decimal, bands: Sequence[GradeBand]) -> GradeBand:
    rounded = round_score(total)
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if rounded >= band.min_score:
            return band
    raise ValueError(f"score {rounded} below every band")


def weights_problem(weights: Iterable[Decimal]) -> str | None:
    ws = list(weights)
    if any(w <= 0 for w in ws):
        return "权重必须大于 0"
    if any(w != w.quantize(CENT) for w in ws):
        return "权重最多两位小数"
    total = sum(ws, Decimal(0))
    if total != HUNDRED:
        return f"同级权重之和须恰为 100%，当前为 {total}%"
    return None


def indicator_config_problem(kind: str, config: Mapping[str, object]) -> str | None:
    try:
        if kind == "likert":
            points = int(str(config.get("points", 5)))
            return None if 3 <= points <= 10 else "李克特量表级数须在 3–10 之间"
        if kind == "threshold":
            Decimal(str(config["threshold"]))
            return None if config.get("direction", "at_least") in ("at_least", "at_most") else "方向无效"
        if kind == "deduction":
            return None if Decimal(str(config["per_item"])) > 0 else "每项扣分须大于 0"
        if kind == "count":
            return None if int(str(config["target"])) > 0 else "目标数须大于 0"
        if kind == "computed":
            return None if config.get("source") in COMPUTED_SOURCES else "计算型指标的数据来源无效"
    except (KeyError, ValueError, ArithmeticError):
        return f"{kind} 指标配置不完整或格式有误"
    return "未知的指标类型"


def indicator_score(kind: str, config: Mapping[str, object], value: Decimal) -> Decimal:
    """One indicator's 0–100 score from the value a party entered (or the service computed)."""
    if kind == "likert":
        points = Decimal(str(config.get("points", 5)))
        if not (1 <= value <= points):
            raise ValueError(f"取值须在 1–{points} 之间")
        return (value - 1) / (points - 1) * HUNDRED
    if kind == "threshold":
        threshold = Decimal(str(config["threshold"]))
        # 「以上」/「以下」 include the threshold itself (民法典 第1259条).
        met = value >= threshold if config.get("direction", "at_least") == "at_least" else value <= threshold
        return HUNDRED if met else Decimal(0)
    if kind == "deduction":
        if value < 0 or value != value.to_integral_value():
            raise ValueError("扣分项次数须为非负整数")
        return max(Decimal(0), HUNDRED - Decimal(str(config["per_item"])) * value)
    if kind == "count":
        if value < 0:
            raise ValueError("数量不能为负")
        target = Decimal(str(config["target"]))
        return min(value, target) / target * HUNDRED
    if kind == "computed":
        if not (0 <= value <= HUNDRED):
            raise ValueError("计算值须在 0–100 之间")
        return value
    raise ValueError(f"unknown indicator type {kind}")


def weighted(parts: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Σ weight × score / Σ weight: weights renormalised over the parts present."""
    items = list(parts)
    total_w = sum((w for w, _ in items), Decimal(0))
    if total_w == 0:
        raise ValueError("no weight")
    return sum((w * s for w, s in items), Decimal(0)) / total_w
