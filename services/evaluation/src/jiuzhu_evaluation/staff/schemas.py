from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_evaluation.round.schemas import EvidenceIn
from jiuzhu_evaluation.template.schemas import Key
from jiuzhu_kit.ids import DivisionCode, Year
from jiuzhu_kit.money import Number


class AssessmentIn(BaseModel):
    """人员考核 A contractor staff member's yearly assessment."""

    model_config = ConfigDict(extra="forbid")

    contract_id: uuid.UUID
    staff_ref: str = Field(
        pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="opaque id of the dispatched staff member"
    )
    division_code: DivisionCode
    year: Year = Field(ge=2000, le=2100)
    template_id: uuid.UUID | None = Field(
        default=None,
        description="a staff template; omitted: the one the rules in force in `year` name (indicator_templates)",
    )
    values: dict[Key, Number]
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=50)


class AssessmentOut(BaseModel):
    """人员考核 A staff member's recorded assessment and its scores."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contract_id: uuid.UUID
    staff_ref: str
    division_code: str
    year: int
    template_code: str
    template_version: int
    values: dict[str, str]
    scores: dict[str, str]
    total: Decimal
    grade: str
    qualified: bool
    assessed_by: str
    assessed_at: datetime


class YearOutcome(BaseModel):
    """年度结果 One year's assessment outcome."""

    year: int
    qualified: bool


class StaffOutcomes(BaseModel):
    """人员考核结果 A staff member's assessment outcomes."""

    staff_ref: str
    years: list[YearOutcome]


class OutcomesOut(BaseModel):
    """The shape staffing-calc's budget projection takes: per staff member, per year, qualified or not
    (qualified → +5% raise next year, seed 000 二(七); unqualified → not renewed, seed 000 四(三))."""

    contract_id: uuid.UUID
    staff: list[StaffOutcomes]


class RenewalOut(BaseModel):
    """续签 Whether a contract's results allow a renewal."""

    staff_ref: str
    contract_id: uuid.UUID
    years_assessed: list[int]
    continue_next_year: bool | None
    term_complete: bool
    comprehensive_total: str | None
    comprehensive_grade: str | None
    eligible_for_renewal: bool | None
    reason: str
    basis: str
