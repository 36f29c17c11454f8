"""The roster's pure rules and its key: the resident ID number, the recruitment requirements in force
on either side of their date, the training gaps, and the personal-data key refused in prod.

The whole roster (dispatch deadline, township reads, masked data, replacement) is proven through the
gateway in tests/test_story_people.py."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from jiuzhu_kit.rules.parse import Checker
from jiuzhu_procurement.roster import rules
from jiuzhu_procurement.roster.crypto import (
    DEV_PERSONAL_DATA_KEY,
    PersonalDataKey,
    PersonalDataKeyUnavailable,
)
from jiuzhu_procurement.roster.service import mask_id_number
from jiuzhu_procurement.rulebook.book import default_book
from jiuzhu_procurement.settings import Settings

GD_COUNTY = "441521"
REAL_KEY = base64.b64encode(b"k" * 32).decode()


def test_resident_id_numbers_are_checked_by_gb_11643() -> None:
    assert rules.valid_id_number("11010519491231002X")  # the standard's own example
    assert not rules.valid_id_number("110105194912310021")  # wrong check character
    assert not rules.valid_id_number("110105194902300027")  # 30 February
    assert rules.age_on(rules.birth_date("11010519491231002X"), date(1967, 12, 30)) == 17
    assert rules.age_on(rules.birth_date("11010519491231002X"), date(1967, 12, 31)) == 18  # 周岁 on the day
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_guangdong_requires_junior_college_from_the_plan_on() -> None:
    """Seed 000 二(七): 原则上全日制大专以上学历 — from the plan's start (2019-04-01), not before."""
    senior_high = rules.Candidate("11010519901231002X", "senior_high", GD_COUNTY)
    before = default_book().at(GD_COUNTY, date(2019, 3, 31))
    assert before.get("recruitment_requirements") is None
    rules.check_requirements(before, senior_high)
    on = default_book().at(GD_COUNTY, date(2019, 4, 1))
    with pytest.raises(rules.RequirementNotMet) as refused:
        rules.check_requirements(on, senior_high)
    assert refused.value.code == "RECRUITMENT_REQUIREMENT_NOT_MET"
    assert refused.value.params["requirement"] == "min_education"
    assert refused.value.params["citation"] == "seed 000 二(七)（未核实）"
    rules.check_requirements(on, rules.Candidate("11010519901231002X", "junior_college", GD_COUNTY))


def test_requirements_are_refused_when_malformed() -> None:
    chk = Checker("t")
    rules.parse_requirements({"min_age": 50, "max_age": 30, "min_education": "phd", "x": 1}, chk, "v")
    assert len(chk.problems) == 3


def test_training_gaps_follow_lingwu_and_guangdong() -> None:
    lingwu = default_book().at("640181", date(2019, 12, 31))
    one = [{"on": date(2019, 3, 1), "kind": "business", "attendees": ["a"]}]
    (gap,) = rules.training_gaps(lingwu, 2019, one, [("a", "甲")])
    assert (gap.key, gap.required, gap.recorded, gap.citation) == (
        "sessions_per_year",
        2,
        1,
        "灵政办发〔2018〕201号 六(三)",
    )
    # Before the notice (2018-11-21) Lingwu had no yearly minimum.
    assert rules.training_gaps(default_book().at("640181", date(2018, 11, 20)), 2018, [], [("a", "甲")]) == []
    gd = default_book().at(GD_COUNTY, date(2019, 12, 31))
    induction = [{"on": date(2019, 6, 1), "kind": "induction", "attendees": ["a"]}]
    (gap,) = rules.training_gaps(gd, 2019, induction, [("a", "甲"), ("b", "乙")])
    assert (gap.key, gap.worker_ids, gap.citation) == ("induction", ("b",), "seed 000 三(三)（未核实）")


def test_the_personal_data_key_seals_per_row_and_is_never_the_development_key_in_prod() -> None:
    key = PersonalDataKey.of(REAL_KEY)
    blob = key.seal("11010519491231002X", "row-1", "id_number")
    assert b"11010519491231002X" not in blob
    assert key.open(blob, "row-1", "id_number") == "11010519491231002X"
    with pytest.raises(PersonalDataKeyUnavailable):  # moved to another row
        key.open(blob, "row-2", "id_number")
    with pytest.raises(PersonalDataKeyUnavailable):  # another key
        PersonalDataKey.of(DEV_PERSONAL_DATA_KEY).open(blob, "row-1", "id_number")
    assert key.index("11010519491231002x") == key.index("11010519491231002X")
    assert key.index("11010519491231002X") != PersonalDataKey.of(DEV_PERSONAL_DATA_KEY).index(
        "11010519491231002X"
    )
    prod = {
        "JIUZHU_ENVIRONMENT": "prod",
        "JWT_SECRET": "x" * 40,
        "DATABASE_URL": "postgresql://db/jiuzhu",
        "JIUZHU_CLOCK": "",
        "bid_key": REAL_KEY,
    }
    with pytest.raises(ValueError, match="PROCUREMENT_PERSONAL_DATA_KEY is the development key"):
        Settings(**prod)
    with pytest.raises(ValueError, match="PROCUREMENT_PERSONAL_DATA_KEY must be 32 bytes"):
        Settings(**prod, personal_data_key="c2hvcnQ=")
    assert Settings(**prod, personal_data_key=REAL_KEY).personal_data_key == REAL_KEY
