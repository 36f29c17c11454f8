from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_staffing.calc.schemas import CountyIn, PackRef

MAX_COUNTIES = 4000


class BatchRequest(BaseModel):
    """批量测算 Many counties worked out at once (a province's or city's)."""

    model_config = ConfigDict(extra="forbid")
    on: date
    pack: PackRef | None = Field(
        default=None,
        description="apply this pack to every county (comparison); default: each county's own pack in force",
    )
    counties: list[CountyIn] = Field(min_length=1, max_length=MAX_COUNTIES)


class CountyProblem(BaseModel):
    """县级问题 Why a county in a batch could not be worked out."""

    code: str
    detail: str


class CountyRow(BaseModel):
    """县级结果 One county's figures in a batch."""

    division_code: str
    name: str
    city: str
    province: str
    pack: str | None
    townships: int
    totals: dict[str, int]
    total: int
    problem: CountyProblem | None = None


class RollUp(BaseModel):
    """汇总 Figures rolled up over counties."""

    division_code: str
    name: str
    counties: int
    townships: int
    totals: dict[str, int]
    total: int


class BatchResult(BaseModel):
    """批量测算结果 Each county's figures and their roll-ups."""

    on: date
    counties: list[CountyRow]
    cities: list[RollUp]
    provinces: list[RollUp]
    national: RollUp
    problems: int = Field(description="counties without a result (e.g. no pack in force); see each row")
