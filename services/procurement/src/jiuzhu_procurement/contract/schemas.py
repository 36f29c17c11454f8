from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jiuzhu_kit.ids import DivisionCode, Period, Uscc
from jiuzhu_kit.money import Money


class PaymentLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # ≤16: the evaluation service's payment-release query accepts at most 16 characters.
    period: Period = Field(examples=["2019-H1"])
    amount: Money
    due_on: date


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["purchaser", "contractor", "township", "user_unit", "other"]
    name: str = Field(min_length=1, max_length=200)
    division_code: DivisionCode | None = None
    uscc: Uscc | None = None
    contact_person: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=32)


class DeadlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]{1,40}$", examples=["staff_dispatched"])
    name: str = Field(min_length=1, max_length=200, examples=["完成人员招聘、培训和派遣"])
    working_days: int = Field(ge=1, le=250, description="working days after signing")
    citation: str | None = Field(default=None, max_length=200, examples=["灵政办发〔2018〕201号 五(五)"])


class ContractIn(BaseModel):
    """The fields the seeds require (沪 三(五)2; 灵政办发〔2018〕201号 五(三))."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=2000, description="标的")
    service_standards: str = Field(min_length=1, max_length=10000, description="服务标准")
    quantity: str = Field(min_length=1, max_length=200, description="服务数量")
    term_start: date
    term_end: date
    term_reason: str | None = Field(default=None, max_length=2000, description="超过 1 年的理由")
    payment_method: str = Field(min_length=1, max_length=2000, description="付款方式")
    payment_schedule: list[PaymentLine] = Field(min_length=1, max_length=60)
    breach_liability: str = Field(min_length=1, max_length=4000, description="违约责任")
    dispute_resolution: str = Field(min_length=1, max_length=2000, description="解决争议的方式")
    other_parties: list[Party] = Field(
        default_factory=list, max_length=10, description="三方协议的其他当事方"
    )
    takeover_plan: str = Field(min_length=10, max_length=10000, description="临时接管预案")
    subcontracting: bool = Field(default=False, description="必须为 false：严禁服务转包")
    deadlines: list[DeadlineIn] = Field(default_factory=list, max_length=20)

    @field_validator("payment_schedule")
    @classmethod
    def _unique_periods(cls, v: list[PaymentLine]) -> list[PaymentLine]:
        if len({p.period for p in v}) != len(v):
            raise ValueError("付款期次重复")
        return v


class AmendmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=5, max_length=4000)
    service_standards: str | None = Field(default=None, max_length=10000)
    quantity: str | None = Field(default=None, max_length=200)
    term_end: date | None = None
    term_reason: str | None = Field(default=None, max_length=2000)
    price: Money | None = None
    payment_schedule: list[PaymentLine] | None = None


class FulfilIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    period: str
    amount: Money
    due_on: date
    status: str
    released_on: date | None
    basis: dict[str, Any] | None


class ContractOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    division_code: str
    contractor_uscc: str
    contractor_name: str
    status: str
    subject: str
    service_standards: str
    quantity: str
    price: Money
    term_start: date
    term_end: date
    term_reason: str | None
    payment_method: str
    payment_schedule: list[dict[str, Any]]
    breach_liability: str
    dispute_resolution: str
    parties: list[dict[str, Any]]
    subcontracting: bool = False
    takeover_plan: str
    takeover: dict[str, Any] | None
    deadlines: list[dict[str, Any]]
    amendments: list[dict[str, Any]]
    signed_on: date | None
    ended_on: date | None
    version: int
    created_at: datetime
    payments: list[PaymentOut] = []


class OverdueOut(BaseModel):
    contract_id: uuid.UUID
    project_id: uuid.UUID
    division_code: str
    contractor_uscc: str
    contractor_name: str
    key: str
    name: str
    due_on: date
    days_overdue: int
    citation: str | None
