"""Rounds in and out. Party weights are percentages that must sum to exactly 100."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

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


Score = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]+\.[0-9]{2}$",
        description="分数 a score or weight as a decimal string with two places (never a float)",
        examples=["95.86"],
    ),
]


class ResultTemplate(BaseModel):
    """评价模板 The indicator template version a result was computed with."""

    id: uuid.UUID = Field(description="模板编号 the template version's id")
    code: str = Field(
        description="模板代码 the template's code", examples=["social-assistance-comprehensive"]
    )
    version: int = Field(description="模板版本 the template's version number", examples=[1])


class ResultDimension(BaseModel):
    """维度得分 One dimension of the template: its weight, weighted score and each party's score."""

    dimension: str = Field(description="维度代码 the dimension's key", examples=["service_effectiveness"])
    name: str = Field(description="维度名称 the dimension's name", examples=["服务成效"])
    weight: Score = Field(description="维度权重 the dimension's weight in percent")
    score: Score | None = Field(
        description="维度得分 the dimension's score weighted over the parties that scored it; null if none did"
    )
    by_party: dict[str, Score] = Field(
        description="各主体维度得分 the dimension's score by evaluating party (party kind → score)"
    )


class SensitivityScenario(BaseModel):
    """敏感性情景 The total and grade if one party's or dimension's weight moved by the shift."""

    shift: str = Field(
        description="权重变动 which weight moved and how: `party:<kind>±5` or `dimension:<key>±5`",
        examples=["party:purchaser+5"],
    )
    total: Score = Field(description="变动后总分 the total under the shifted weights")
    grade: str = Field(description="变动后等级 the grade under the shifted weights", examples=["优秀"])
    changes_grade: bool = Field(description="是否改变等级 whether the shift changes the grade")


class Sensitivity(BaseModel):
    """敏感性分析 How far the grade depends on the weights chosen."""

    shift_points: str = Field(
        description="变动幅度 the shift applied to each weight, in points", examples=["5"]
    )
    grade_stable: bool = Field(description="等级是否稳定 true if no scenario changes the grade")
    scenarios: list[SensitivityScenario] = Field(description="情景 every shifted-weight scenario")


class RoundResult(BaseModel):
    """评价结果 A closed round's computed result: total, grade, breakdown by dimension and party."""

    total: Score = Field(description="总分 the weighted total, rounded half-up to two places")
    grade: str = Field(description="等级 the grade's label, read from the rounded total", examples=["优秀"])
    grade_code: str = Field(description="等级代码 the grade's stable code", examples=["excellent"])
    passed: bool = Field(description="是否合格 whether the grade passes")
    rounding: str = Field(description="取舍规则 the rounding rule applied (text)")
    party_weights_used: dict[str, Score] = Field(
        description="实际主体权重 the weights of the parties that scored (party kind → percent)"
    )
    by_party: dict[str, Score] = Field(description="各主体总分 each party's total (party kind → score)")
    dimensions: list[ResultDimension] = Field(description="维度明细 the result by dimension")
    sensitivity: Sensitivity = Field(description="敏感性分析 how the grade depends on the weights")
    template: ResultTemplate = Field(description="所用模板 the template version the result was computed with")
    revision: int = Field(description="轮次修订号 the round's revision the result belongs to", examples=[1])


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
    result: RoundResult | None = Field(
        description="评价结果 the computed result once the round is closed; null before (and after an upheld appeal)"
    )
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
