from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.money import Money
from jiuzhu_staffing.calc.schemas import CountyIn, NonNegativeMoney, Outcome, PackRef


class Side(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date
    pack: PackRef | None = Field(default=None, description="缺省为当日生效的规则包")


class BudgetOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    years: int | None = Field(default=None, ge=1, le=10)
    assessments: list[list[Outcome]] = Field(default_factory=list, max_length=10)
    dibao_spending_last_year: NonNegativeMoney | None = None


class WhatIfRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county: CountyIn
    a: Side
    b: Side
    budget: BudgetOptions | None = Field(
        default=None,
        description="also compare the budget (people = each side's required total; start = side's date)",
    )


class Difference(BaseModel):
    unit_name: str
    unit_kind: str
    role: str
    a: int
    b: int
    delta: int
    a_reading_zh: str | None
    b_reading_zh: str | None


class BudgetDiff(BaseModel):
    a_total: Money
    b_total: Money
    delta: Money
    years: list[dict[str, Any]]


class WhatIfResult(BaseModel):
    a: dict[str, Any]
    b: dict[str, Any]
    differences: list[Difference] = Field(description="units/roles whose required people differ")
    totals: dict[str, dict[str, int]] = Field(description="role → {a, b, delta}")
    total_delta: int
    budget: BudgetDiff | None = None
