from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from jiuzhu_kit.ids import DivisionCode, Year
from jiuzhu_kit.money import Money

# 闽民保〔2018〕58号 一(五): 困难群众救助补助资金、工作经费和福利彩票公益金，按资金使用范围分别列支.
PlanStatus = Literal["draft", "submitted", "approved", "rejected"]  # plan/machine.py
FundingSource = Literal["working_funds", "assistance_subsidy_funds", "welfare_lottery_funds"]


class BudgetLine(BaseModel):
    """预算明细 One funding source's amount in a plan."""

    model_config = ConfigDict(extra="forbid")

    funding_source: FundingSource
    amount: Money = Field(description="yuan, string with 2 decimals")
    scope: str = Field(min_length=1, max_length=500, description="资金使用范围")

    @field_validator("amount")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("金额应大于 0")
        return v


def _one_line_per_source(v: list[BudgetLine]) -> list[BudgetLine]:
    sources = [b.funding_source for b in v]
    if len(set(sources)) != len(sources):
        raise ValueError("每个资金来源只能有一条预算")
    return v


# A plan's lines, on creation and when revised: at most one per funding source.
BudgetLines = Annotated[
    list[BudgetLine], Field(min_length=1, max_length=20), AfterValidator(_one_line_per_source)
]


class PlanIn(BaseModel):
    """购买计划 An annual purchase plan."""

    model_config = ConfigDict(extra="forbid")

    division_code: DivisionCode
    year: Year = Field(ge=2014, le=2100)
    title: str = Field(min_length=1, max_length=200)
    budget_lines: BudgetLines


class PlanLinesIn(BaseModel):
    """预算明细 A plan's budget lines, replaced as a whole."""

    model_config = ConfigDict(extra="forbid")

    budget_lines: BudgetLines


class BudgetLineOut(BaseModel):
    """预算明细 One funding source's amount, committed and remaining."""

    funding_source: str
    amount: Money
    scope: str
    committed: Money = Decimal("0.00")
    remaining: Money = Decimal("0.00")


class PlanOut(BaseModel):
    """购买计划 An annual purchase plan and its state."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    division_code: str
    year: int
    title: str
    status: str
    budget_lines: list[BudgetLineOut]
    total: Money
    decision: str | None
    approved_by: str | None
    approved_on: date | None
    version: int
    created_at: datetime
