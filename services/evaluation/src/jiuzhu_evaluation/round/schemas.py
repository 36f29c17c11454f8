"""Rounds in and out. Party weights are percentages that must sum to exactly 100."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jiuzhu_evaluation.template import rules
from jiuzhu_evaluation.template.schemas import Key, Percent
from jiuzhu_kit.ids import DivisionCode, Period, Uscc, ascii_fullmatch
from jiuzhu_kit.money import Number

PartyKind = Literal["purchaser", "third_party", "recipients", "township", "village_committee"]
PeriodKind = Literal["half_yearly", "annual", "final"]

PERIOD_PATTERNS = {
    "half_yearly": re.compile(r"[0-9]{4}-H[12]"),  # seed 002 六(二): 每半年
    "annual": re.compile(r"[0-9]{4}"),
    "final": re.compile(r"final"),  # seed 003 三(五)4: 项目终期
}


class PartyIn(BaseModel):
    """评价主体 An evaluating party of a round and its weight."""

    model_config = ConfigDict(extra="forbid")

    party: PartyKind
    weight: Percent
    required: bool = True
    dimensions: list[Key] | None = Field(
        default=None, description="dimensions this party scores; all if omitted"
    )
    scorer: str | None = Field(
        default=None, max_length=256, description="only this principal (sub) may score"
    )


class RoundIn(BaseModel):
    """评价轮次 An evaluation round to open for a contract and period."""

    model_config = ConfigDict(extra="forbid")

    contract_id: uuid.UUID
    period_kind: PeriodKind
    period: Period = Field(examples=["2019-H1", "2019", "final"])
    contractor_uscc: Uscc
    purchaser_division: DivisionCode
    template_id: uuid.UUID
    parties: list[PartyIn] = Field(min_length=2, max_length=6)
    appeal_working_days: int | None = Field(default=None, ge=1, le=60)

    @model_validator(mode="after")
    def _check(self) -> RoundIn:
        problems = []
        if not ascii_fullmatch(PERIOD_PATTERNS[self.period_kind], self.period):
            problems.append(
                f"期间 {self.period!r} 与类型 {self.period_kind} 不符（如 2019-H1 / 2019 / final）"
            )
        kinds = [p.party for p in self.parties]
        if len(set(kinds)) != len(kinds):
            problems.append("评价主体不能重复")
        if p := rules.weights_problem(p.weight for p in self.parties):
            problems.append(f"评价主体权重: {p}")
        if "purchaser" not in kinds or "recipients" not in kinds:
            problems.append("评价主体须包括购买主体与服务对象 (seed 000 四(四); seed 001 一(六))")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class EvidenceIn(BaseModel):
    """证明材料 Evidence for a score: a document reference and its digest."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["document", "photo", "record", "survey", "report", "link"]
    title: str = Field(min_length=1, max_length=200)
    uri: str | None = Field(default=None, max_length=1000)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class ScoresIn(BaseModel):
    """评分 One party's scores in a round."""

    model_config = ConfigDict(extra="forbid")

    party: PartyKind
    values: dict[Key, Number] = Field(
        default_factory=dict,
        description="indicator key → value (likert point, percentage, count of deductions or items)",
    )
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=50)
    comment: str | None = Field(default=None, max_length=2000)
    from_survey: bool = Field(
        default=False,
        description="recipients only: take likert values from the survey of this contract+period",
    )


class PartyScoreOut(BaseModel):
    """主体评分 One party's scores in a round."""

    model_config = ConfigDict(from_attributes=True)

    party: str
    revision: int
    values: dict[str, str]
    scores: dict[str, str]
    evidence: list[dict[str, Any]]
    comment: str | None
    submitted_by: str
    submitted_at: datetime


class RoundOut(BaseModel):
    """评价轮次 An evaluation round and its result."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contract_id: uuid.UUID
    period_kind: str
    period: str
    contractor_uscc: str
    purchaser_division: str
    template_id: uuid.UUID
    template_code: str
    template_version: int
    parties: list[dict[str, Any]]
    contract_check: str
    status: str
    revision: int
    appeal_working_days: int
    result: dict[str, Any] | None
    closed_at: datetime | None
    published_at: datetime | None
    appeal_deadline: date | None
    opened_by: str
    opened_at: datetime
    submitted_parties: list[str] = []
    missing_parties: list[str] = []


class AppealIn(BaseModel):
    """申诉 A contractor's appeal against a published round result, with its grounds."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


class AppealDecisionIn(BaseModel):
    """申诉决定 The decision on an appeal against a round's result."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["dismissed", "upheld"]
    reason: str = Field(min_length=1, max_length=4000)
    rescore_parties: list[PartyKind] = Field(
        default_factory=list, description="upheld: these parties' sheets are set aside and must be re-entered"
    )


class AppealOut(BaseModel):
    """申诉 An appeal against a round's result and its decision."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    round_id: uuid.UUID
    revision: int
    contractor_uscc: str
    reason: str
    filed_by: str
    filed_at: datetime
    status: str
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class PublicationOut(BaseModel):
    """What is published (公示): no scorer identities, no recipient data beyond aggregates."""

    round_id: uuid.UUID
    contract_id: uuid.UUID
    period: str
    contractor_uscc: str
    purchaser_division: str
    template: str
    total: str
    grade: str
    dimensions: list[dict[str, Any]]
    party_weights: dict[str, str]
    party_scores: dict[str, str] = Field(
        default_factory=dict, description="each party kind's total (no scorer is named)"
    )
    recipients: dict[str, Any] | None
    published_at: datetime
    appeal_deadline: date
    status: str
