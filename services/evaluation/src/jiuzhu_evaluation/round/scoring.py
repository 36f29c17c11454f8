"""A round's result from the parties' indicator scores: pure functions, no I/O.

total = Σ party weight × party total (weights renormalised over the parties that scored);
party total = Σ dimension weight × dimension score over the dimensions that party scores;
dimension score = Σ indicator weight × indicator score / 100. Rounded once: see rules.ROUNDING_RULE.
Sensitivity: each party weight and each dimension weight shifted by ±5 percentage points (the others
rescaled proportionally so siblings still sum to 100); does any shift change the grade?
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from jiuzhu_evaluation.template import rules

SHIFT = Decimal(5)

# party → indicator key → 0–100 score
Scores = Mapping[str, Mapping[str, Decimal]]


def dimension_score(dimension: Mapping[str, Any], scores: Mapping[str, Decimal]) -> Decimal:
    return (
        sum((Decimal(i["weight"]) * scores[i["key"]] for i in dimension["indicators"]), Decimal(0))
        / rules.HUNDRED
    )


def _party_dims(
    dimensions: Sequence[Mapping[str, Any]], scores: Mapping[str, Decimal]
) -> list[Mapping[str, Any]]:
    return [d for d in dimensions if all(i["key"] in scores for i in d["indicators"])]


def _totals(
    dimensions: Sequence[Mapping[str, Any]],
    dim_weights: Mapping[str, Decimal],
    party_weights: Mapping[str, Decimal],
    scores: Scores,
) -> tuple[Decimal, dict[str, Decimal], dict[str, dict[str, Decimal]]]:
    per_party: dict[str, Decimal] = {}
    per_party_dim: dict[str, dict[str, Decimal]] = {}
    for party, s in scores.items():
        dims = _party_dims(dimensions, s)
        per_party_dim[party] = {d["key"]: dimension_score(d, s) for d in dims}
        per_party[party] = rules.weighted((dim_weights[k], v) for k, v in per_party_dim[party].items())
    total = rules.weighted((party_weights[p], t) for p, t in per_party.items())
    return total, per_party, per_party_dim


def _shifted(weights: Mapping[str, Decimal], key: str, delta: Decimal) -> dict[str, Decimal] | None:
    """`key` moved by `delta` points, the others rescaled to keep the sum; None if impossible."""
    total = sum(weights.values(), Decimal(0))
    new = weights[key] + delta
    rest = total - weights[key]
    if new <= 0 or new >= total or rest <= 0:
        return None
    scale = (total - new) / rest
    return {k: (new if k == key else w * scale) for k, w in weights.items()}


def compute(
    dimensions: Sequence[Mapping[str, Any]],
    bands: Sequence[rules.GradeBand],
    party_weights: Mapping[str, Decimal],
    scores: Scores,
) -> dict[str, Any]:
    dim_weights = {d["key"]: Decimal(d["weight"]) for d in dimensions}
    present = {p: w for p, w in party_weights.items() if p in scores}
    total, per_party, per_party_dim = _totals(dimensions, dim_weights, present, scores)
    rounded = rules.round_score(total)
    grade = rules.grade_of(rounded, bands)

    breakdown = []
    for d in dimensions:
        contributors = [(present[p], pd[d["key"]]) for p, pd in per_party_dim.items() if d["key"] in pd]
        breakdown.append(
            {
                "dimension": d["key"],
                "name": d["name"],
                "weight": f"{dim_weights[d['key']]:.2f}",
                "score": f"{rules.round_score(rules.weighted(contributors)):.2f}" if contributors else None,
                "by_party": {
                    p: f"{rules.round_score(pd[d['key']]):.2f}"
                    for p, pd in per_party_dim.items()
                    if d["key"] in pd
                },
            }
        )

    scenarios = []
    for kind, weights in (("party", present), ("dimension", dim_weights)):
        for key in weights:
            for delta in (SHIFT, -SHIFT):
                w = _shifted(weights, key, delta)
                if w is None:
                    continue
                t = (
                    _totals(dimensions, dim_weights, w, scores)
                    if kind == "party"
                    else _totals(dimensions, w, present, scores)
                )[0]
                g = rules.grade_of(t, bands)
                scenarios.append(
                    {
                        "shift": f"{kind}:{key}{'+' if delta > 0 else '-'}5",
                        "total": f"{rules.round_score(t):.2f}",
                        "grade": g.label,
                        "changes_grade": g.code != grade.code,
                    }
                )
    return {
        "total": f"{rounded:.2f}",
        "grade": grade.label,
        "grade_code": grade.code,
        "passed": grade.passed,
        "rounding": rules.ROUNDING_RULE,
        "party_weights_used": {p: f"{w:.2f}" for p, w in present.items()},
        "by_party": {p: f"{rules.round_score(t):.2f}" for p, t in per_party.items()},
        "dimensions": breakdown,
        "sensitivity": {
            "shift_points": "5",
            "grade_stable": not any(s["changes_grade"] for s in scenarios),
            "scenarios": scenarios,
        },
    }
