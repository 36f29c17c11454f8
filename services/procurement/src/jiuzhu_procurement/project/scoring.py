"""Comprehensive scoring (综合评分法), never "lowest price wins" (seed 000 二(四)). Pure, no I/O.

- Small-enterprise deduction first: evaluated price = bid × (1 − d%), d in 10–20 for services
  (财库〔2022〕19号; 财库〔2020〕46号 9), rounded half-up to the fen.
- Abnormally low: evaluated price below `abnormal_low_ratio` × the mean of the valid evaluated prices
  (a product rule, configurable); such a bid needs a recorded explanation, and without an accepted
  one it is invalid (财政部令第87号 60).
- Base price = the lowest valid evaluated price; price score = base / price × price weight
  (weight as a percentage of 100 points: 财政部令第87号 55), rounded half-up to 0.01 point.
- Panel score = mean of the members' scores, each in 0..(100 − price weight − history weight).
- History factor = the contractor's published average evaluation total / 100 × history weight
  (seed 000 四(四): results inform future selection); a contractor without published results gets
  the mean of the others' factors (no penalty for newcomers: 闽民保〔2018〕58号 一(二)).
- Ranking by total, then lower evaluated price, then higher panel score (财政部令第87号 65).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

POINT = Decimal("0.01")
HUNDRED = Decimal("100")


def pts(x: Decimal) -> Decimal:
    return x.quantize(POINT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BidIn:
    bid_id: str
    uscc: str
    name: str
    price: Decimal
    small_enterprise: bool
    qualified: bool
    explanation_accepted: bool | None


@dataclass(frozen=True)
class Params:
    price_weight: Decimal
    history_weight: Decimal
    sme_deduction_percent: Decimal
    abnormal_low_ratio: Decimal

    @property
    def panel_max(self) -> Decimal:
        return HUNDRED - self.price_weight - self.history_weight


def evaluated_price(b: BidIn, p: Params) -> Decimal:
    if b.small_enterprise:
        return pts(b.price * (HUNDRED - p.sme_deduction_percent) / HUNDRED)
    return b.price


def rank(
    bids: Sequence[BidIn],
    p: Params,
    panel_scores: Mapping[str, Mapping[str, Decimal]],
    history: Mapping[str, Decimal | None],
) -> dict[str, Any]:
    """Full ranking with each score's breakdown; `awardable` is False while an explanation is pending."""
    rows: dict[str, dict[str, Any]] = {}
    valid = [b for b in bids if b.qualified]
    prices = {b.bid_id: evaluated_price(b, p) for b in valid}
    mean = sum(prices.values(), Decimal(0)) / len(prices) if prices else Decimal(0)
    for b in bids:
        row: dict[str, Any] = {"bid_id": b.bid_id, "uscc": b.uscc, "name": b.name, "price": str(b.price)}
        if not b.qualified:
            rows[b.bid_id] = {**row, "status": "unqualified"}
            continue
        ev = prices[b.bid_id]
        abnormal = len(prices) >= 2 and ev < p.abnormal_low_ratio * mean
        status = "valid"
        if abnormal and b.explanation_accepted is None:
            status = "pending_explanation"
        elif abnormal and b.explanation_accepted is False:
            status = "invalid_abnormally_low"
        rows[b.bid_id] = {
            **row,
            "evaluated_price": str(ev),
            "small_enterprise_deduction": str(p.sme_deduction_percent) if b.small_enterprise else "0",
            "abnormally_low": abnormal,
            "status": status,
        }
    scored = [b for b in valid if rows[b.bid_id]["status"] != "invalid_abnormally_low"]
    base = min((prices[b.bid_id] for b in scored), default=None)
    known = [h for h in (history.get(b.uscc) for b in scored) if h is not None]
    factor_values = [pts(h / HUNDRED * p.history_weight) for h in known]
    neutral = pts(sum(factor_values, Decimal(0)) / len(factor_values)) if factor_values else p.history_weight
    for b in scored:
        ev = prices[b.bid_id]
        price_score = pts(base / ev * p.price_weight) if base is not None and ev > 0 else Decimal(0)
        members = panel_scores.get(b.bid_id, {})
        panel = pts(sum(members.values(), Decimal(0)) / len(members)) if members else Decimal(0)
        h = history.get(b.uscc)
        hist = pts(h / HUNDRED * p.history_weight) if h is not None else neutral
        total = price_score + panel + hist
        rows[b.bid_id].update(
            {
                "base_price": str(base),
                "price_score": str(price_score),
                "price_formula": f"{base} / {ev} × {p.price_weight}",
                "panel_score": str(panel),
                "panel_members": {k: str(v) for k, v in sorted(members.items())},
                "history_average": str(h) if h is not None else None,
                "history_score": str(hist),
                "history_note": None if h is not None else "无已公布评价结果，取其他投标人历史得分均值",
                "total": str(total),
            }
        )
    order = sorted(
        scored,
        key=lambda b: (
            -Decimal(rows[b.bid_id]["total"]),
            prices[b.bid_id],
            -Decimal(rows[b.bid_id]["panel_score"]),
        ),
    )
    ranking = []
    for i, b in enumerate(order, start=1):
        rows[b.bid_id]["rank"] = i
        ranking.append(rows[b.bid_id])
    others = [r for r in rows.values() if "rank" not in r]
    pending = [r["bid_id"] for r in rows.values() if r["status"] == "pending_explanation"]
    return {
        "params": {k: str(v) for k, v in p.__dict__.items()},
        "mean_evaluated_price": str(pts(mean)),
        "base_price": str(base) if base is not None else None,
        "ranking": ranking + others,
        "pending_explanations": pending,
        "awardable": bool(order) and not pending,
        "winner_bid_id": order[0].bid_id if order and not pending else None,
    }
