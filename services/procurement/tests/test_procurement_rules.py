"""Pure rules: scoring, method choice, machine tables (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiuzhu_procurement.contract import rules as contract_rules
from jiuzhu_procurement.project import methods, scoring
from jiuzhu_procurement.project.machine import MACHINE
from jiuzhu_procurement.workflow.endpoints import MACHINES
from jiuzhu_procurement.workflow.machine import TransitionNotAllowed

P = scoring.Params(Decimal("30"), Decimal("0"), Decimal("10"), Decimal("0.80"))


def bid(
    i: int, price: str, small: bool = False, qualified: bool = True, acc: bool | None = None
) -> scoring.BidIn:
    return scoring.BidIn(f"b{i}", f"U{i}", f"n{i}", Decimal(price), small, qualified, acc)


def test_price_score_is_base_over_bid_times_weight() -> None:
    bids = [bid(1, "2800000.00"), bid(2, "2600000.00"), bid(3, "2900000.00")]
    panel = {f"b{i}": {"m": Decimal("60")} for i in (1, 2, 3)}
    r = scoring.rank(bids, P, panel, {})
    by = {x["bid_id"]: x for x in r["ranking"]}
    assert r["base_price"] == "2600000.00"
    # 2.6/2.8 × 30 = 27.857… → 27.86 (half-up to 0.01 point)
    assert (by["b1"]["price_score"], by["b2"]["price_score"], by["b3"]["price_score"]) == (
        "27.86",
        "30.00",
        "26.90",
    )
    assert [x["bid_id"] for x in r["ranking"]] == ["b2", "b1", "b3"] and r["winner_bid_id"] == "b2"


def test_not_lowest_price_wins() -> None:
    bids = [bid(1, "2800000.00"), bid(2, "2600000.00")]
    panel = {"b1": {"m": Decimal("68")}, "b2": {"m": Decimal("60")}}
    r = scoring.rank(bids, P, panel, {})
    assert r["winner_bid_id"] == "b1"  # 27.86 + 68 = 95.86 beats 30 + 60


def test_small_enterprise_deduction_comes_before_the_base_price() -> None:
    bids = [bid(1, "2700000.00"), bid(2, "2900000.00", small=True)]
    r = scoring.rank(bids, P, {"b1": {"m": Decimal(1)}, "b2": {"m": Decimal(1)}}, {})
    by = {x["bid_id"]: x for x in r["ranking"]}
    assert by["b2"]["evaluated_price"] == "2610000.00" and r["base_price"] == "2610000.00"
    assert by["b2"]["price_score"] == "30.00" and by["b1"]["price_score"] == "29.00"


def test_abnormally_low_bid_needs_an_explanation() -> None:
    panel = {f"b{i}": {"m": Decimal("50")} for i in (1, 2, 3)}
    r = scoring.rank([bid(1, "2800000.00"), bid(2, "2600000.00"), bid(3, "1500000.00")], P, panel, {})
    assert r["pending_explanations"] == ["b3"] and not r["awardable"]
    rejected = scoring.rank(
        [bid(1, "2800000.00"), bid(2, "2600000.00"), bid(3, "1500000.00", acc=False)], P, panel, {}
    )
    assert rejected["base_price"] == "2600000.00" and rejected["winner_bid_id"] == "b2"
    assert {x["bid_id"]: x["status"] for x in rejected["ranking"]}["b3"] == "invalid_abnormally_low"
    accepted = scoring.rank(
        [bid(1, "2800000.00"), bid(2, "2600000.00"), bid(3, "1500000.00", acc=True)], P, panel, {}
    )
    assert accepted["base_price"] == "1500000.00" and accepted["winner_bid_id"] == "b3"


def test_history_factor_and_newcomers() -> None:
    p = scoring.Params(Decimal("30"), Decimal("10"), Decimal("10"), Decimal("0.5"))
    bids = [bid(1, "100.00"), bid(2, "100.00"), bid(3, "100.00")]
    panel = {f"b{i}": {"m": Decimal("50")} for i in (1, 2, 3)}
    r = scoring.rank(bids, p, panel, {"U1": Decimal("92"), "U2": Decimal("70"), "U3": None})
    by = {x["bid_id"]: x for x in r["ranking"]}
    assert (by["b1"]["history_score"], by["b2"]["history_score"], by["b3"]["history_score"]) == (
        "9.20",
        "7.00",
        "8.10",
    )
    assert p.panel_max == Decimal("60")


def T(**kw: object) -> list[str]:
    base: dict[str, object] = {
        "method": "competitive_consultation",
        "budget": Decimal("1500000"),
        "on": date(2024, 5, 1),
        "open_tender_threshold": Decimal("2000000"),
        "ground": "purchased_services",
        "approval": None,
        "publicity_working_days": None,
        "related_total": Decimal("1500000"),
    }
    base.update(kw)
    return [r.code for r in methods.check_method(**base)]  # type: ignore[arg-type]


def test_method_rules() -> None:
    assert T() == []
    assert T(budget=Decimal("2000000"), related_total=Decimal("2000000")) == [
        "OPEN_TENDER_REQUIRED"
    ]  # 以上 includes
    assert T(budget=Decimal("2000000"), approval="财采〔2024〕1号") == []
    assert T(related_total=Decimal("3000000")) == ["PURCHASE_SPLITTING"]
    assert T(ground=None) == ["METHOD_GROUND_REQUIRED"]
    assert T(method="request_for_quotation") == ["METHOD_NOT_ALLOWED"]
    assert T(method="single_source", ground="only_one_supplier") == ["PUBLICITY_REQUIRED"]
    assert T(method="single_source", ground="only_one_supplier", publicity_working_days=5) == []
    assert T(method="framework_agreement", ground="small_frequent_purchases", on=date(2021, 1, 1)) == [
        "METHOD_NOT_IN_FORCE"
    ]
    assert T(method="open_tender", ground=None, budget=Decimal("9000000")) == []


def test_minimum_suppliers() -> None:
    assert methods.min_suppliers("competitive_consultation").minimum == 2
    assert methods.min_suppliers("open_tender").minimum == 3
    assert methods.min_suppliers("single_source").minimum == 1


def test_contract_terms() -> None:
    contract_rules.check_term(date(2019, 1, 1), date(2019, 12, 31), None)
    with pytest.raises(contract_rules.ContractTermTooLong):
        contract_rules.check_term(date(2019, 1, 1), date(2020, 1, 1), None)
    contract_rules.check_term(date(2019, 1, 1), date(2021, 12, 31), "服务稳定、资金有保障")
    with pytest.raises(contract_rules.ContractTermTooLong):
        contract_rules.check_term(date(2019, 1, 1), date(2022, 1, 1), "理由")


def test_every_state_is_reachable_and_terminals_are_final() -> None:
    for m in MACHINES.values():
        seen, todo = {m.initial}, [m.initial]
        while todo:
            for nxt in m.TRANSITIONS[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen == set(m.states), m.aggregate
    assert MACHINE.TRANSITIONS["closed"] == frozenset() and MACHINE.TRANSITIONS["cancelled"] == frozenset()
    expected = {
        "declared",
        "approved",
        "announced",
        "bidding_closed",
        "qualification_review",
        "scoring",
        "awarded",
        "contract_signed",
        "performance_supervision",
        "final_evaluation",
        "closed",
        "cancelled",
        "failed",
        "terminated",
        "taken_over",
    }
    assert set(MACHINE.states) == expected


@given(st.sampled_from(sorted(MACHINE.states)), st.sampled_from(sorted(MACHINE.states)))
def test_anything_outside_the_table_is_refused(src: str, dst: str) -> None:
    if dst in MACHINE.TRANSITIONS[src]:
        assert MACHINE.find(src, dst).target == dst
    else:
        with pytest.raises(TransitionNotAllowed):
            MACHINE.find(src, dst)


def test_mermaid_lists_every_transition() -> None:
    text = MACHINE.mermaid()
    assert text.startswith("stateDiagram-v2")
    assert text.count("-->") == len(MACHINE.table) + 1 + sum(
        1 for s in MACHINE.states if not MACHINE.TRANSITIONS[s]
    )
