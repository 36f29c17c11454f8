"""Shared demo/test inputs: the sheets, evidence and places that `make demo` and the test suites
(the evaluation service's tests, the whole-story tests, staffing-calc's) send, written once.

Plain data, no behaviour. Treat every value as read-only: a caller that changes one (say, a
party's weight) takes a copy first (`copy.deepcopy`), so no other test or demo step sees it.
"""

from __future__ import annotations

from typing import Any

# ---- evaluation (template `social-assistance-comprehensive`) -------------------------------

# Full marks on the comprehensive template's purchaser/township/third-party sheet.
FULL_MARKS: dict[str, str] = {
    "service_volume": "100",
    "verification_accuracy": "96",
    "late_cases": "0",
    "records_complete": "100",
    "staff_in_post": "1",
    "finance_issues": "0",
    "public_recognition": "5",
    "valid_complaints": "0",
}
# A township's sheet, a little below full marks.
TOWNSHIP_SHEET: dict[str, str] = {
    **FULL_MARKS,
    "late_cases": "2",
    "public_recognition": "4",
    "valid_complaints": "1",
}
# The evidence every score carries: the half-yearly evaluation report.
EVIDENCE: list[dict[str, str]] = [{"kind": "report", "title": "半年评估报告", "sha256": "a" * 64}]

# Annual staff assessment (template `staff-annual`): 95.00, qualified.
STAFF_GOOD: dict[str, str] = {
    "ethics": "5",
    "absences": "0",
    "cases_handled": "100",
    "accuracy": "97",
    "daily_performance": "4",
}

# ---- Lingwu (灵武市, seed 002: 灵政办发〔2018〕201号) -------------------------------------------

LINGWU = "640181"
# The half-yearly round's parties (六(二)): the bureau, the township and the recipients.
LINGWU_PARTIES: list[dict[str, Any]] = [
    {
        "party": "purchaser",
        "weight": "40",
        "dimensions": ["service_effectiveness", "project_management", "social_impact"],
    },
    {
        "party": "township",
        "weight": "30",
        "dimensions": ["service_effectiveness", "project_management", "social_impact"],
    },
    {"party": "recipients", "weight": "30", "dimensions": ["recipient_satisfaction"]},
]
# Its street office and eight townships, and the county as staffing-calc takes it.
LINGWU_UNITS: list[str] = [
    "城区街道",
    "东塔镇",
    "郝家桥镇",
    "崇兴镇",
    "宁东镇",
    "马家滩镇",
    "临河镇",
    "梧桐树乡",
    "白土岗乡",
]
LINGWU_COUNTY: dict[str, Any] = {
    "division_code": LINGWU,
    "townships": [
        {"name": n, "kind": "street_office" if n == "城区街道" else "township"} for n in LINGWU_UNITS
    ],
}
