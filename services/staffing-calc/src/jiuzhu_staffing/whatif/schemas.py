from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.money import Money
from jiuzhu_staffing.calc.schemas import CountyIn, NonNegativeMoney, Outcome, PackRef


class ParameterChange(BaseModel):
    """One reform: from `from`, the parameter takes `value` (or, for a bracket scale, `brackets`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    parameter: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", examples=["first_year_pay"])
    start: date = Field(alias="from", description="the day the changed value starts")
    value: str | int | None = Field(
        default=None, description="in the parameter's unit (money and ratios as strings)", examples=["55000"]
    )
    brackets: list[BracketIn] | None = Field(default=None, max_length=20)


class BracketIn(BaseModel):
    """档次 A bracket of a staffing rule: its range and the figure it gives."""

    model_config = ConfigDict(extra="forbid")
    range: str = Field(max_length=40, examples=["(250, 600)"])
    value: int = Field(ge=0, le=10_000)


class Side(BaseModel):
    """比较方 One side of a what-if: inputs and rule changes."""

    model_config = ConfigDict(extra="forbid")
    on: date
    pack: PackRef | None = Field(default=None, description="缺省为当日生效的规则包")
    changes: list[ParameterChange] = Field(
        default_factory=list,
        max_length=20,
        description="reforms applied to this side's pack for this calculation only (OpenFisca-style)",
    )


class BudgetOptions(BaseModel):
    """预算选项 What the budget calculation takes into account."""

    model_config = ConfigDict(extra="forbid")
    years: int | None = Field(default=None, ge=1, le=10)
    assessments: list[list[Outcome]] = Field(default_factory=list, max_length=10)
    dibao_spending_last_year: NonNegativeMoney | None = None


class WhatIfRequest(BaseModel):
    """假设测算 Two sides to compare."""

    model_config = ConfigDict(extra="forbid")
    county: CountyIn
    a: Side
    b: Side
    budget: BudgetOptions | None = Field(
        default=None,
        description="also compare the budget (people = each side's required total; start = side's date)",
    )


class Difference(BaseModel):
    """差异 One figure that differs between two calculations."""

    unit_name: str
    unit_kind: str
    role: str
    a: int
    b: int
    delta: int
    a_reading_zh: str | None
    b_reading_zh: str | None


class BudgetDiff(BaseModel):
    """预算差异 How a what-if changes the budget."""

    a_total: Money
    b_total: Money
    delta: Money
    years: list[dict[str, Any]]


class AppliedChange(BaseModel):
    """已应用的变更 One change a what-if applied to the rules, and what it replaced."""

    parameter: str
    label: str
    from_: str = Field(alias="from")
    value: str
    replaces: str


class WhatIfResult(BaseModel):
    """假设测算结果 The two sides' results and their differences."""

    a: dict[str, Any]
    b: dict[str, Any]
    changes: dict[str, list[AppliedChange]] = Field(
        default_factory=dict,
        description="side → the reforms applied, each with the value and clause it replaces",
    )
    differences: list[Difference] = Field(description="units/roles whose required people differ")
    totals: dict[str, dict[str, int]] = Field(description="role → {a, b, delta}")
    total_delta: int
    budget: BudgetDiff | None = None
