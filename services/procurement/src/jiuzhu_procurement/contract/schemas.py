from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jiuzhu_kit.ids import DivisionCode, Period, Uscc
from jiuzhu_kit.money import Money, Number

# What releases a scheduled payment (contract/machine.py): an advance once the contract is signed
# where the contract agrees (灵政办发〔2018〕201号 五(四)), a recorded acceptance (验收), or a
# published evaluation round of the period (六(二)) — the default, today's behaviour.
Gate = Literal["on_signing", "acceptance", "evaluation"]


class PaymentLine(BaseModel):
    """付款计划行 One scheduled payment of a contract."""

    model_config = ConfigDict(extra="forbid")

    # ≤16: the evaluation service's payment-release query accepts at most 16 characters.
    period: Period = Field(examples=["2019-H1"])
    amount: Money
    due_on: date = Field(
        description="合同约定的付款日；按验收付款的，验收后改为验收合格之日起的付款期限（中小企业：保障中小企业款项支付条例）"
    )
    gate: Gate = Field(
        default="evaluation",
        description="付款条件：on_signing 合同签订后预付（合同约定时），acceptance 验收合格，evaluation 评价结果公示（默认）",
    )
    scale_by_grade: bool = Field(
        default=False,
        description="按评价等级折算拨付金额（仅 evaluation；比例见合同 grade_scale，未约定的用规则包默认值）",
    )

    @model_validator(mode="after")
    def _scaled_only_by_evaluation(self) -> PaymentLine:
        if self.scale_by_grade and self.gate != "evaluation":
            raise ValueError("只有以评价结果为付款条件的期次可以按等级折算")
        return self


class GradeRatioIn(BaseModel):
    """One grade of the contract's scale: the share of a scaled payment released for it."""

    model_config = ConfigDict(extra="forbid")

    grade: str = Field(
        min_length=1, max_length=20, examples=["合格"], description="评价等级（如 优秀、良好、合格、不合格）"
    )
    ratio: Number = Field(examples=["0.90"], description="拨付比例，0 至 1（0 即不予拨付）")

    @field_validator("ratio")
    @classmethod
    def _share(cls, v: Decimal) -> Decimal:
        if not Decimal(0) <= v <= Decimal(1) or v != v.quantize(Decimal("0.0001")):
            raise ValueError("比例应在 0 至 1 之间，最多四位小数")
        return v


class Party(BaseModel):
    """合同当事人 A party to the contract and its contact."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["purchaser", "contractor", "township", "user_unit", "other"]
    name: str = Field(min_length=1, max_length=200)
    division_code: DivisionCode | None = None
    uscc: Uscc | None = None
    contact_person: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=32)


class DeadlineIn(BaseModel):
    """合同期限 A contract deadline to track."""

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
    headcount: int | None = Field(
        default=None,
        ge=1,
        le=100000,
        description="合同购买的工作人员人数：花名册派遣达到该人数之日即完成派遣期限（无需手工确认）",
    )
    term_start: date
    term_end: date
    term_reason: str | None = Field(default=None, max_length=2000, description="超过 1 年的理由")
    payment_method: str = Field(min_length=1, max_length=2000, description="付款方式")
    payment_schedule: list[PaymentLine] = Field(min_length=1, max_length=60)
    payment_days_after_acceptance: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="合同约定的付款期限（验收合格之日起，日）；中小企业不得超过规则允许的最长期限（60 日）",
    )
    grade_scale: list[GradeRatioIn] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="按评价等级拨付的比例（合同约定）；有按等级折算的期次而未约定时，取规则包 payment_grade_scale",
    )
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

    @field_validator("grade_scale")
    @classmethod
    def _unique_grades(cls, v: list[GradeRatioIn] | None) -> list[GradeRatioIn] | None:
        if v is not None and len({g.grade for g in v}) != len(v):
            raise ValueError("等级重复")
        return v


class AmendmentIn(BaseModel):
    """合同变更 A change to a signed contract (price, term, schedule, standards) and why."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=5, max_length=4000)
    service_standards: str | None = Field(default=None, max_length=10000)
    quantity: str | None = Field(default=None, max_length=200)
    term_end: date | None = None
    term_reason: str | None = Field(default=None, max_length=2000)
    price: Money | None = None
    payment_schedule: list[PaymentLine] | None = None


class FulfilIn(BaseModel):
    """履行 The day a contract deadline was met."""

    model_config = ConfigDict(extra="forbid")

    on: date


class AcceptanceIn(BaseModel):
    """验收: the purchaser records that the service of a period passed acceptance."""

    model_config = ConfigDict(extra="forbid")

    on: date = Field(description="验收合格之日（合同签订日至今天）")
    note: str = Field(min_length=2, max_length=2000, examples=["2026 年上半年服务经验收合格"])


class ReleaseIn(BaseModel):
    """A release as scheduled (no body, or `{}`), or finance's override of the gate or of the
    amount, always with a reason: it is recorded on the payment and in its audit chain."""

    model_config = ConfigDict(extra="forbid")

    override_gate: bool = Field(default=False, description="财政部门不经付款条件直接拨付（须说明理由）")
    override_amount: Money | None = Field(
        default=None, description="财政部门改定的拨付金额（大于 0，不超过计划金额；须说明理由）"
    )
    reason: str | None = Field(default=None, max_length=4000, description="变更付款条件或金额的理由")


class PaymentOut(BaseModel):
    """付款 A scheduled payment and its release."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    period: str
    amount: Money = Field(
        description="拨付金额：拨付前为计划金额，拨付后为实际拨付金额（按等级折算或财政改定）"
    )
    scheduled_amount: Money
    gate: str
    scale_by_grade: bool
    due_on: date
    status: str
    accepted_on: date | None = None
    acceptance: dict[str, Any] | None = None
    released_on: date | None
    basis: dict[str, Any] | None
    override: dict[str, Any] | None = None


class ContractOut(BaseModel):
    """合同 A service contract: parties, term, price, payments, deadlines, amendments."""

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
    headcount: int | None = None
    price: Money
    term_start: date
    term_end: date
    term_reason: str | None
    payment_method: str
    payment_schedule: list[dict[str, Any]]
    payment_terms: dict[str, Any] = {}
    grade_scale: dict[str, Any] | None = None
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
    """逾期 A contract deadline or payment that is overdue."""

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


class OverduePaymentOut(BaseModel):
    """A payment past its due date and not released: the purchaser owes it, or must decide on it."""

    contract_id: uuid.UUID
    project_id: uuid.UUID
    division_code: str
    contractor_uscc: str
    contractor_name: str
    small_enterprise: bool
    period: str
    gate: str
    amount: Money
    accepted_on: date | None
    due_on: date
    days_overdue: int
    citation: str | None
