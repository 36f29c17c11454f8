from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jiuzhu_evaluation.template.schemas import Key
from jiuzhu_kit.ids import DivisionCode, Period, Uscc

Code = Annotated[str, Field(min_length=8, max_length=40)]


class QuestionIn(BaseModel):
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
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=20_000)


class CodesOut(BaseModel):
    survey_id: uuid.UUID
    codes: list[str] = Field(description="shown once; only a keyed hash is stored")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    answers: dict[Key, int] = Field(min_length=1, max_length=50)


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responses: list[AnswerIn] = Field(min_length=1, max_length=5000)


class Rejected(BaseModel):
    index: int
    reason: str


class IntakeOut(BaseModel):
    accepted: int
    rejected: list[Rejected]
