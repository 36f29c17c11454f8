"""Compliance from facts (issue 16), the pure parts: roster groups to the required units, the
contract's assessments to the budget's per-position outcomes, the 测算表's existing-staff columns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jiuzhu_staffing.calc.budget import AssessmentsMismatch, assessments_from_outcomes
from jiuzhu_staffing.compliance.roster import RosterFacts, actual_by_unit
from jiuzhu_staffing.tables.render import Table, with_existing

FIGURES = [
    {"unit_kind": "county", "unit_name": "市民政局", "unit_code": "640181", "role": "verifier"},
    {"unit_kind": "street_office", "unit_name": "城区街道", "unit_code": None, "role": "verifier"},
    {"unit_kind": "township", "unit_name": "崇兴镇", "unit_code": "640181100", "role": "verifier"},
]


def test_roster_groups_count_for_the_unit_they_serve() -> None:
    units = [
        {"serves_division": "640181", "unit_name": "灵武市民政局", "workers": 1},  # the county itself
        {"serves_division": "640181100", "unit_name": "崇兴镇", "workers": 1},  # by code
        {"serves_division": "640181100201", "unit_name": "某村", "workers": 1},  # a village of it
        {"serves_division": "640181001", "unit_name": "城区街道办事处", "workers": 2},  # by name
        {"serves_division": "640181109", "unit_name": "新设镇", "workers": 1},  # nothing required there
    ]
    assert actual_by_unit(FIGURES, "640181", units) == {
        ("市民政局", "verifier"): 1,
        ("崇兴镇", "verifier"): 2,
        ("城区街道", "verifier"): 2,
        ("新设镇", "worker"): 1,
    }


def test_a_county_is_bound_to_the_roster_only_by_its_own_contracts() -> None:
    facts = RosterFacts(
        date(2019, 6, 1),
        [{"contract_id": "c1", "purchaser_division": "640181"}],
        [{"serves_division": "640181100", "unit_name": "崇兴镇", "workers": 2}],
    )
    assert facts.of_county("640181").bound and facts.of_county("640181").summary()["workers_in_post"] == 2
    other = facts.of_county("640121")
    assert not other.bound and other.units == []


def test_assessments_become_per_position_outcomes_year_by_year() -> None:
    staff = [
        {"staff_ref": "b", "years": [{"year": 2019, "qualified": False}]},
        {"staff_ref": "a", "years": [{"year": 2019, "qualified": True}, {"year": 2020, "qualified": True}]},
    ]
    found, notes = assessments_from_outcomes(staff, date(2019, 1, 1), 3, 3)
    assert found == [["qualified", "unqualified", "qualified"], ["qualified", "qualified", "qualified"]]
    assert notes[0] == "2019年度考核取自评价服务：2人考核，1人不合格，1个岗位无考核结果按合格预测"
    assert assessments_from_outcomes([], date(2019, 1, 1), 3, 3) == ([], [])
    with pytest.raises(AssessmentsMismatch):
        assessments_from_outcomes(staff, date(2019, 1, 1), 3, 1)


def test_the_table_gains_existing_staff_gap_and_cost() -> None:
    table = Table(
        "t", ["序号", "镇（街道）", "合计（人）"], [[1, "甲镇", 2], [2, "乙镇", 4]], ["合计", "", 6]
    )
    out = with_existing(table, 1, {"甲镇": 1, "乙镇": 5}, Decimal("50000.00"), ["n"])
    assert out.headers[-3:] == ["现有人数（人）", "缺口（人）", "缺口年度经费（元）"]
    assert out.rows == [[1, "甲镇", 2, 1, 1, Decimal("50000.00")], [2, "乙镇", 4, 5, -1, Decimal("0.00")]]
    assert out.totals == ["合计", "", 6, 6, 0, Decimal("50000.00")] and out.notes == ["n"]
    blank = with_existing(table, 1, None, Decimal("50000.00"), [])
    assert blank.rows[0][-3:] == ["", "", ""] and blank.totals[-3:] == ["", "", ""]
