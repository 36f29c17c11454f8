"""A debarment case: its report, its answers and decisions, as the API takes and gives them."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.money import Money


class DebarmentReportIn(BaseModel):
    """不良行为报告 A report of a contractor's misconduct."""

    model_config = ConfigDict(extra="forbid")

    grounds: str = Field(min_length=5, max_length=4000, description="违约或违法事实 (政府采购法 77)")
    response_working_days: int = Field(default=10, ge=3, le=30, description="陈述申辩期（工作日）")


class DebarmentOut(BaseModel):
    """不良行为记录 A debarment case and its state."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contractor_id: uuid.UUID
    uscc: str
    status: str
    division_code: str
    grounds: str
    reported_on: date
    response_due_on: date
    response: str | None
    responded_on: date | None
    decision: str | None
    term_years: int | None
    effective_from: date | None
    effective_until: date | None
    fine_amount: Decimal | None
    version: int


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: str = Field(min_length=1, max_length=4000)


class DecideIn(BaseModel):
    """A debarment decision; the term must lie in the band of the rules in force (政府采购法 77: 1–3
    years; 闽民保〔2018〕58号 一(七): 3 years for serious cases)."""

    model_config = ConfigDict(extra="forbid")

    term_years: int = Field(
        ge=1, le=10, description="年；须在决定之日有效的规则所定区间内（政府采购法 77：1–3 年）"
    )
    serious: bool = Field(
        default=False,
        description="情节严重、造成恶劣社会影响：适用地方规定的禁入年限（如福建 3 年，闽民保〔2018〕58号 一(七)）",
    )
    effective_from: date | None = None
    fine_amount: Money | None = Field(default=None, description="罚款 (合同金额 5‰–10‰)")
