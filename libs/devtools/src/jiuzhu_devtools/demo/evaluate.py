"""Evaluation steps: rounds with their parties, recipient surveys answered through a portal, scores
from each party, publication (seed 000 四(四); 闽民保〔2018〕58号 一(六); 灵政办发〔2018〕201号 六(二))."""

from __future__ import annotations

from typing import Any

from jiuzhu_devtools.demo.api import Api, Persona
from jiuzhu_devtools.demo.procure import EVIDENCE
from jiuzhu_devtools.seeds import FULL_MARKS

COMPREHENSIVE = "social-assistance-comprehensive"
# Purchaser / township / third-party sheets on the comprehensive template, good to poor.
GOOD = FULL_MARKS
FAIR = {
    **GOOD,
    "late_cases": "2",
    "public_recognition": "4",
    "valid_complaints": "1",
    "verification_accuracy": "90",
}
POOR = {
    "service_volume": "45",
    "verification_accuracy": "70",
    "late_cases": "9",
    "records_complete": "60",
    "staff_in_post": "0.6",
    "finance_issues": "2",
    "public_recognition": "1",
    "valid_complaints": "4",
}


def likert(n: int, pattern: list[tuple[int, int]]) -> list[dict[str, int]]:
    """n answers cycling through (overall_satisfaction, service_attitude) pairs: a stable sample."""
    return [
        {
            "overall_satisfaction": pattern[i % len(pattern)][0],
            "service_attitude": pattern[i % len(pattern)][1],
        }
        for i in range(n)
    ]


class Evaluation:
    def __init__(self, api: Api, div: str, portal_div: str) -> None:
        self.api = api
        self.div = div
        self.bureau = Persona("bureau", div)
        self.portal = Persona("portal", portal_div, name=f"demo-portal-{portal_div}")
        self._template: str | None = None

    def template_id(self) -> str:
        if self._template is None:
            self._template = str(
                self.api.get(f"/api/evaluation/templates/by-code/{COMPREHENSIVE}", self.bureau)["id"]
            )
        return self._template

    def open_round(
        self, contract: str, contractor: str, period_kind: str, period: str, parties: list[dict[str, Any]]
    ) -> str:
        body = {
            "contract_id": contract,
            "period_kind": period_kind,
            "period": period,
            "contractor_uscc": contractor,
            "purchaser_division": self.div,
            "template_id": self.template_id(),
            "parties": parties,
        }
        return str(self.api.post("/api/evaluation/rounds", self.bureau, body)["id"])

    def survey(self, round_id: str, codes: int, answers: list[dict[str, int]], title: str) -> str:
        """A survey of the round's recipients: codes issued, some answered through the portal."""
        body = {"round_id": round_id, "title": title, "min_sample": 30}
        sid = str(self.api.post("/api/evaluation/surveys", self.bureau, body)["id"])
        issued = self.api.post(f"/api/evaluation/surveys/{sid}/codes", self.bureau, {"count": codes})["codes"]
        responses = [{"code": c, "answers": a} for c, a in zip(issued, answers, strict=False)]
        self.api.post(f"/api/evaluation/surveys/{sid}/responses/bulk", self.portal, {"responses": responses})
        return sid

    def score(self, round_id: str, party: str, who: Persona, values: dict[str, str] | None = None) -> Any:
        body: dict[str, Any] = {"party": party, "evidence": EVIDENCE}
        if values is None:
            body["from_survey"] = True
        else:
            body["values"] = values
        return self.api.post(f"/api/evaluation/rounds/{round_id}/scores", who, body)

    def publish(self, round_id: str) -> Any:
        return self.api.post(f"/api/evaluation/rounds/{round_id}/publish", self.bureau)


def parties(*spec: tuple[str, str, list[str] | None]) -> list[dict[str, Any]]:
    out = []
    for party, weight, dims in spec:
        p: dict[str, Any] = {"party": party, "weight": weight}
        if dims is not None:
            p["dimensions"] = dims
        out.append(p)
    return out


SHEET = ["service_effectiveness", "project_management", "social_impact"]
RECIPIENTS = ["recipient_satisfaction"]
