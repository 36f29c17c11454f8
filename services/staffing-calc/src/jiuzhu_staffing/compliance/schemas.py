from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.ids import Year
from jiuzhu_kit.money import Money
from jiuzhu_staffing.calc.schemas import Count, CountyIn, NonNegativeMoney


class ActualStaff(BaseModel):
    """实际配备 The staff a county actually has, by kind, as reported."""

    model_config = ConfigDict(extra="forbid")
    unit_name: str = Field(
        min_length=1, max_length=100, description="与 county 中的单位名称一致；县级填县名或文件所称单位"
    )
    role: str = Field(pattern=r"^(caseworker|coordinator|verifier|assistance_worker|manager)$")
    people: Count


class ReportIn(BaseModel):
    """合规报告 A county's yearly compliance report."""

    model_config = ConfigDict(extra="forbid")
    year: Year = Field(ge=2000, le=2100)
    on: date = Field(description="按此日生效的规则计算应配备数")
    county: CountyIn
    actual: list[ActualStaff] = Field(max_length=5000)
    pay_level: NonNegativeMoney = Field(description="实际工资待遇水平（元/人/年）")
    contract_ref: str | None = Field(default=None, max_length=200, description="政府购买服务合同编号")
    working_funds_document: str | None = Field(default=None, max_length=200, description="工作经费文件文号")
    trainings_held: Count = Field(description="本年已组织业务培训次数")
    expected_version: int | None = Field(default=None, description="更新已报送的报告时必填：当前版本号")


class ReportOut(BaseModel):
    """合规报告 A compliance report as recorded."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    division_code: str
    year: int
    on: date
    county: dict[str, Any]
    actual: list[dict[str, Any]]
    pay_level: Money
    contract_ref: str | None
    working_funds_document: str | None
    trainings_held: int
    submitted_at: datetime
    submitted_by: str
    version: int


class Gap(BaseModel):
    """缺口 How far a figure falls short of the rules."""

    unit_name: str
    role: str
    required: int
    actual: int
    gap: int = Field(description="required − actual (positive = short)")
    citation: str | None
    source: Literal["roster", "typed"] = Field(
        default="typed",
        description="actual 的来源：roster 花名册（报告日在岗人员，按服务的乡镇或村）；typed 县级填报（尚无按花名册管理的合同）",
    )


class ComplianceOut(BaseModel):
    """合规检查 A compliance report checked against the rules in force."""

    division_code: str
    name: str
    year: int
    pack: str
    units: list[Gap]
    required: int
    actual: int
    gap: int
    actual_source: Literal["roster", "typed"] = Field(
        default="typed",
        description="roster：报告日有按花名册管理人员的合同，实际人数取自花名册；typed：尚无此类合同，为填报数",
    )
    roster: dict[str, Any] | None = Field(
        default=None, description="花名册依据：基准日、合同、在岗人数（actual_source 为 roster 时）"
    )
    pay: dict[str, Any]
    trainings: dict[str, Any]
    documents: dict[str, Any]
    submitted_at: datetime
    due: date | None
    late: bool
    compliant: bool


class AreaRollUp(BaseModel):
    """地区汇总 A division's compliance reports rolled up."""

    division_code: str
    name: str
    reports: int
    required: int
    actual: int
    gap: int


class SummaryOut(BaseModel):
    """合规汇总 Compliance summed over a division."""

    division_code: str
    year: int
    as_of: date
    counties: list[ComplianceOut]
    cities: list[AreaRollUp]
    provinces: list[AreaRollUp]
    overdue: list[dict[str, Any]] = Field(
        description="counties whose report was due by the roll-out plan's date and is missing"
    )
    notes: list[str]
