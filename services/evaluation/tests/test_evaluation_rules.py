"""The rules as plain functions: exact grade boundaries, weights summing to 100, indicator types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiuzhu_evaluation.round import scoring
from jiuzhu_evaluation.rulebook.book import default_book
from jiuzhu_evaluation.template import rules
from jiuzhu_evaluation.template.builtin import builtins

D = Decimal
# The bands in force (rule grade_bands of rulebook/data): 优秀 ≥90, 良好 ≥80, 合格 ≥60, 不合格 below.
BANDS = default_book().at("640181", date(2019, 6, 1)).value("grade_bands")
BUILTINS = builtins(default_book().packs)


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100", "优秀"),
        ("90.00", "优秀"),
        ("89.99", "良好"),
        ("80.00", "良好"),
        ("79.99", "合格"),
        ("60.00", "合格"),
        ("59.99", "不合格"),
        ("0", "不合格"),
        ("89.995", "优秀"),
        ("89.994", "良好"),
    ],
)
def test_grade_boundaries_are_exact(total: str, grade: str) -> None:
    # 「以上」 includes the number (民法典 第1259条); the total is rounded half-up to 0.01 first.
    assert rules.grade_of(D(total), BANDS).label == grade


def test_weights_must_sum_to_exactly_100() -> None:
    assert rules.weights_problem([D("33.33"), D("33.33"), D("33.34")]) is None
    assert "99.99" in (rules.weights_problem([D("33.33"), D("33.33"), D("33.33")]) or "")
    assert rules.weights_problem([D("50"), D("50.001")]) is not None  # more than 2 places
    assert rules.weights_problem([D("100"), D("0")]) is not None


def test_bands_without_gap_or_overlap() -> None:
    bad = [rules.GradeBand("a", "优", D(90), True), rules.GradeBand("b", "差", D(10), False)]
    # Lowest minimum 10, not 0: the one problem, and no other (the passing band sits above).
    assert rules.check_bands(bad) == ["最低等级的下限必须为 0（不留空档）"]
    assert rules.check_bands(BANDS) == []


def test_indicator_types() -> None:
    assert rules.indicator_score("likert", {"points": 5}, D(4)) == D(75)
    assert rules.indicator_score("threshold", {"threshold": "95"}, D(95)) == D(100)  # 以上 includes 95
    assert rules.indicator_score("threshold", {"threshold": "95"}, D("94.99")) == D(0)
    assert rules.indicator_score("deduction", {"per_item": "5"}, D(3)) == D(85)
    assert rules.indicator_score("deduction", {"per_item": "40"}, D(3)) == D(0)  # floor at 0
    assert rules.indicator_score("count", {"target": 100}, D(130)) == D(100)
    with pytest.raises(ValueError):
        rules.indicator_score("likert", {"points": 5}, D(6))


def test_builtin_templates_are_valid_and_cite_the_seeds() -> None:
    assert set(BUILTINS) == {
        ("social-assistance-comprehensive", 1),
        ("finance-project", 1),
        ("staff-annual", 1),
    }
    assert all(t.citation for t in BUILTINS.values())  # each cites registered documents
    seeds = BUILTINS[("social-assistance-comprehensive", 1)]
    assert [d.key for d in seeds.dimensions] == [
        "service_effectiveness",
        "project_management",
        "social_impact",
        "recipient_satisfaction",
    ]
    # Weighted towards recipient satisfaction (闽民保〔2018〕58号 一(六)): no dimension weighs more.
    sat = next(d for d in seeds.dimensions if d.key == "recipient_satisfaction")
    assert all(sat.weight >= d.weight for d in seeds.dimensions)
    finance = BUILTINS[("finance-project", 1)]
    assert [d.key for d in finance.dimensions] == ["decision", "process", "output", "effect", "satisfaction"]


def _dims() -> list[dict[str, object]]:
    return [
        {"key": "a", "name": "A", "weight": "60", "indicators": [{"key": "a1", "weight": "100"}]},
        {"key": "b", "name": "B", "weight": "40", "indicators": [{"key": "b1", "weight": "100"}]},
    ]


def test_total_breakdown_and_sensitivity() -> None:
    scores = {"p": {"a1": D(100), "b1": D(70)}, "r": {"b1": D(80)}}
    out = scoring.compute(_dims(), BANDS, {"p": D(60), "r": D(40)}, scores)  # type: ignore[arg-type]
    # p: 0.6×100 + 0.4×70 = 88; r: 80; total = 0.6×88 + 0.4×80 = 84.80
    assert out["total"] == "84.80" and out["grade"] == "良好"
    assert out["by_party"] == {"p": "88.00", "r": "80.00"}
    b = next(d for d in out["dimensions"] if d["dimension"] == "b")
    assert b["score"] == "74.00"  # (60×70 + 40×80) / 100
    assert out["sensitivity"]["grade_stable"] is True


def test_sensitivity_flags_a_grade_on_the_edge() -> None:
    scores = {"p": {"a1": D(100), "b1": D(100)}, "r": {"b1": D(70)}}
    out = scoring.compute(_dims(), BANDS, {"p": D(67), "r": D(33)}, scores)  # type: ignore[arg-type]
    assert out["total"] == "90.10" and out["grade"] == "优秀"
    flips = [s["shift"] for s in out["sensitivity"]["scenarios"] if s["changes_grade"]]
    assert out["sensitivity"]["grade_stable"] is False and "party:p-5" in flips
