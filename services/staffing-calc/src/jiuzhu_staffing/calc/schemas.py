"""Calculation inputs and outputs (pydantic). Counts are non-negative integers; money is Money."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from jiuzhu_kit import divisions
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.money import Money, Number, non_negative

Count = Annotated[int, Field(ge=0, le=100_000_000)]
NonNegativeMoney = Annotated[Money, AfterValidator(non_negative)]
PackRef = Annotated[
    str, Field(pattern=r"^[a-z0-9-]{1,64}(@[0-9]{1,6})?$", examples=["gd-city-plan", "lingwu@1"])
]


def _county_code(code: str) -> str:
    if divisions.level(code) != "county":
        raise ValueError("应为县级（6 位）行政区划代码")
    return code


CountyCode = Annotated[DivisionCode, AfterValidator(_county_code)]


class NursingHomeIn(BaseModel):
    """敬老院 A rural support institution and its residents."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    government_run: bool = Field(description="由政府运营（公办公营）：须配专职管理人员")


class TownshipIn(BaseModel):
    """乡镇输入 A township's figures for the staffing calculation."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, examples=["崇兴镇"])
    code: str | None = Field(default=None, pattern=r"^[0-9]{9}$", description="统计用区划代码（9 位），可选")
    kind: Literal["township", "street_office"] = "township"
    assisted_households: Count = Field(default=0, description="辖区救助对象户数")
    registered_population: Count = Field(default=0, description="户籍人口")
    administrative_villages: Count = 0
    urban_communities: Count = 0
    residents_committees: Count = 0
    villagers_committees: Count = 0
    nursing_homes: list[NursingHomeIn] = Field(default_factory=list, max_length=200)


class CountyIn(BaseModel):
    """县级输入 A county's figures for the staffing calculation."""

    model_config = ConfigDict(extra="forbid")
    division_code: CountyCode = Field(examples=["640181"])
    name: str | None = Field(default=None, max_length=100)
    assisted_households: Count | None = Field(default=None, description="全县救助对象户数；缺省为各乡镇之和")
    townships: list[TownshipIn] = Field(default_factory=list, max_length=2000)


class StaffingRequest(BaseModel):
    """人员测算 The inputs of a staffing calculation."""

    model_config = ConfigDict(extra="forbid")
    county: CountyIn
    on: date = Field(description="测算日期：选用当日生效的规则包与参数")
    pack: PackRef | None = Field(default=None, description="指定规则包（id 或 id@version）；缺省为当日生效者")


class Explanation(BaseModel):
    """测算说明 How a figure was worked out: the rule, its inputs and steps."""

    rule: str
    rule_label: str
    citation: str
    inputs: dict[str, Any]
    bracket: dict[str, str] | None = None
    rounding: str | None = None
    reading_zh: str


class Figure(BaseModel):
    """测算数字 One figure of a calculation with its unit and rule."""

    unit_kind: str
    unit_name: str
    unit_code: str | None = None
    role: str
    people: int
    explanation: Explanation


class PackUsed(BaseModel):
    """使用的规则包 The rule pack a calculation used."""

    id: str
    version: int
    content_hash: str
    title: str
    cite_as: str
    jurisdiction: str
    outside_jurisdiction: bool = False


class StaffingResult(BaseModel):
    """人员测算结果 The staff required, with the figures and their rules."""

    division_code: str
    county_name: str | None
    on: date
    pack: PackUsed
    figures: list[Figure]
    totals: dict[str, int] = Field(description="按岗位合计")
    total: int


Outcome = Literal["qualified", "unqualified"]
FundingSource = Literal["working_funds", "assistance_subsidy_funds", "welfare_lottery_funds", "other"]


class FundingIn(BaseModel):
    """资金 The funding inputs of a budget."""

    model_config = ConfigDict(extra="forbid")
    source: FundingSource
    annual_amount: NonNegativeMoney
    document: str | None = Field(default=None, max_length=200, description="经费文件文号")


class BudgetRequest(BaseModel):
    """预算测算 The inputs of a staffing budget over some years."""

    model_config = ConfigDict(extra="forbid")
    division_code: CountyCode
    start: date = Field(description="合同起始日（第 1 年从此日起算）")
    # The answer has a row per position per year: bounded so one request cannot build gigabytes.
    people: int | None = Field(
        default=None,
        ge=0,
        le=10_000,
        description="购买人数（至多 10000 个岗位）；缺省时按 county 测算所需人数",
        examples=[13],
    )
    county: CountyIn | None = None
    years: int | None = Field(default=None, ge=1, le=10, description="缺省为规则包的合同期")
    assessments: list[list[Outcome]] = Field(
        default_factory=list,
        max_length=10,
        description="第 k 项：第 k 年每个岗位的年度考核结果（决定第 k+1 年工资）；缺省为全部合格",
    )
    contract_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "合同：不填 assessments 时，按评价服务中该合同人员（花名册）的历年年度考核结果计算逐年递增"
            "（第 k 年 = 起始年 + k − 1 的考核；尚未考核的人员与年度按合格预测）"
        ),
    )
    dibao_spending_last_year: NonNegativeMoney | None = Field(default=None, description="上年低保资金支出")
    dispatch_fee_rate: Number | None = Field(
        default=None,
        ge=0,
        le=1,
        description="派遣服务费率（占工资，按派遣公司报价；无法定标准）：传入时优先于规则包的 dispatch_fee_rate（占位值，未核实）",
        examples=["0.05"],
    )
    funding: list[FundingIn] = Field(default_factory=list, max_length=10)
    pack: PackRef | None = None


class Step(BaseModel):
    """测算步骤 One step of working out a figure."""

    name: str
    citation: str
    amount: Money
    rounding: str | None = None
    reading_zh: str


class PositionYear(BaseModel):
    """岗位年度 One position's count in a year."""

    position: int
    pay: Money
    basis: str


class BudgetYear(BaseModel):
    """年度预算 One year's budget, positions and working."""

    year: int
    start: date
    end: date
    people: int
    cost: Money
    parts: dict[str, Money] = Field(
        description=(
            "人员经费构成：wages 工资；劳务派遣时另有 employer_pension 单位养老保险费、employer_medical 单位医疗保险费、"
            "employer_maternity 单位生育保险费（2020 年起并入医疗）、employer_unemployment 单位失业保险费、"
            "employer_injury 单位工伤保险费、housing_fund 单位住房公积金、dispatch_fee 派遣服务费（各按规则包的费率）"
        )
    )
    positions: list[PositionYear]
    steps: list[Step]
    funding: dict[str, Money]
    shortfall: Money


class WorkingFunds(BaseModel):
    """工作经费 The working funds worked out and declared."""

    dibao_spending_last_year: Money
    rate: str
    amount: Money
    step: Step
    declared: Money | None
    exceeds_computed: bool


class BudgetResult(BaseModel):
    """预算测算结果 The budget by year, funding source and shortfall."""

    division_code: str
    pack: PackUsed
    years: list[BudgetYear]
    total_cost: Money
    funding_totals: dict[str, Money]
    total_shortfall: Money
    fits: bool
    working_funds: WorkingFunds | None
    notes: list[str]
