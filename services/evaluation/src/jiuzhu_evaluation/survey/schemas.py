from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jiuzhu_evaluation.template.schemas import Key
from jiuzhu_kit.ids import DivisionCode, Period, Uscc

Code = Annotated[str, Field(min_length=8, max_length=40)]


class QuestionIn(BaseModel):
    """问题 A survey question."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    text: str = Field(min_length=1, max_length=500)


class SurveyIn(BaseModel):
    """A Likert questionnaire for one contract and period; or `round_id` to take everything from a
    round (questions = the likert indicators the recipients party scores)."""

    model_config = ConfigDict(extra="forbid")

    round_id: uuid.UUID | None = None
    contract_id: uuid.UUID | None = None
    period: Period | None = None
    contractor_uscc: Uscc | None = None
    purchaser_division: DivisionCode | None = None
    title: str = Field(default="服务对象满意度调查", min_length=1, max_length=200)
    questions: list[QuestionIn] = Field(default_factory=list, max_length=50)
    points: int = Field(default=5, ge=3, le=10)
    satisfied_min: int = Field(
        default=4, ge=2, le=10, description="answers at or above this count as satisfied"
    )
    min_sample: int = Field(default=30, ge=1, le=100_000)

    @model_validator(mode="after")
    def _check(self) -> SurveyIn:
        if self.round_id is None:
            missing = [
                k
                for k in ("contract_id", "period", "contractor_uscc", "purchaser_division")
                if getattr(self, k) is None
            ]
            if missing or not self.questions:
                raise ValueError(
                    "未给出 round_id 时须给出 contract_id、period、contractor_uscc、purchaser_division 和问题"
                )
        if self.satisfied_min > self.points:
            raise ValueError("满意下限不能超过量表级数")
        if len({q.key for q in self.questions}) != len(self.questions):
            raise ValueError("问题 key 重复")
        return self


class SurveyOut(BaseModel):
    """满意度调查 A recipient survey and its state."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contract_id: uuid.UUID
    period: str
    contractor_uscc: str
    purchaser_division: str
    title: str
    questions: list[dict[str, Any]]
    points: int
    satisfied_min: int
    min_sample: int
    status: str
    created_at: datetime


class CodesIn(BaseModel):
    """发放答卷码 How many one-time codes to issue for a survey."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=20_000)


class CodesOut(BaseModel):
    """答卷码 The one-time codes issued (shown this once)."""

    survey_id: uuid.UUID
    codes: list[str] = Field(description="shown once; only a keyed hash is stored")


class AnswerIn(BaseModel):
    """答卷 One respondent's answers with their one-time code."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    answers: dict[Key, int] = Field(min_length=1, max_length=50)


class BulkIn(BaseModel):
    """批量答卷 Many respondents' answers at once (paper surveys entered)."""

    model_config = ConfigDict(extra="forbid")

    responses: list[AnswerIn] = Field(min_length=1, max_length=5000)


class Rejected(BaseModel):
    """未接收 An answer refused, by its index, and why."""

    index: int
    reason: str


class IntakeOut(BaseModel):
    """接收结果 How many answers were accepted and which were refused."""

    accepted: int
    rejected: list[Rejected]


# Survey results (survey/stats.py): figures are decimal strings to four places, never floats.
Figure = Annotated[str, Field(pattern=r"^-?\d+\.\d{4}$", examples=["0.8750"])]


class QuestionResultOut(BaseModel):
    """一题的结果 The answers to one question: how many, their mean and the share satisfied."""

    n: int = Field(description="答案数 the number of answers")
    mean: Figure = Field(description="平均分 the mean answer (1..points)")
    share_satisfied: Figure = Field(
        description="满意率 the share of answers at or above `satisfied_min` (0–1)"
    )


class ComputedValuesOut(BaseModel):
    """计算型指标取值 The survey's figures as computed indicators take them (0–100), see
    template.rules.COMPUTED_SOURCES; null before any answer."""

    survey_share_satisfied: Figure | None = Field(description="满意率（百分制） the share satisfied × 100")
    survey_response_rate: Figure | None = Field(description="回复率（百分制） the response rate × 100")
    survey_mean: Figure | None = Field(description="平均分（百分制） the mean rescaled to 0–100")


class SurveyResultsOut(BaseModel):
    """满意度调查结果 A survey's aggregates (no single answer): response rate, mean with its 95%
    interval over respondents, share satisfied with Wilson's 95% interval over answers, and a
    warning below the survey's minimum sample."""

    survey_id: uuid.UUID = Field(description="满意度调查标识 the survey")
    codes_issued: int = Field(description="已发放答卷码 one-time codes issued")
    respondents: int = Field(description="答卷人数 respondents who answered")
    answers: int = Field(description="答案数 answers over every question")
    response_rate: Figure | None = Field(
        description="回复率 respondents ÷ codes issued (0–1); null without codes"
    )
    mean: Figure | None = Field(
        description="平均分 the mean of respondents' mean answers; null before any answer"
    )
    mean_ci95: list[Figure] | None = Field(
        description="平均分 95% 置信区间 [low, high]; null below two respondents"
    )
    share_satisfied: Figure | None = Field(description="满意率 (0–1); null before any answer")
    share_satisfied_ci95: list[Figure] | None = Field(description="满意率 95% 置信区间 (Wilson) [low, high]")
    small_sample: bool = Field(description="样本不足 fewer respondents than the survey's `min_sample`")
    warning: str | None = Field(description="提示 why the figures are only indicative, if they are")
    questions: dict[str, QuestionResultOut] = Field(description="各题结果 per question key")
    computed: ComputedValuesOut = Field(description="计算型指标取值 the figures as indicators take them")


class ContractPeriodResultOut(BaseModel):
    """合同期次满意度 The answers of one contract's survey of one period, aggregated."""

    contract_id: uuid.UUID = Field(description="合同标识 the contract")
    period: str = Field(description="期间 the period (`2019-H1`)")
    answers: int = Field(description="答案数 answers over every question")
    respondents: int = Field(description="答卷人数 respondents who answered")
    mean: Figure = Field(description="平均分 the mean answer (1..points)")
    share_satisfied: Figure = Field(
        description="满意率 the share of answers at or above `satisfied_min` (0–1)"
    )
