from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jiuzhu_kit.ids import DivisionCode, Uscc
from jiuzhu_kit.money import Money, Number
from jiuzhu_procurement.catalogue.rules import FORMS
from jiuzhu_procurement.plan.schemas import FundingSource
from jiuzhu_procurement.project.methods import METHODS

Method = Literal[METHODS]  # type: ignore[valid-type]
PurchaseForm = Literal[FORMS]  # type: ignore[valid-type]


class ProjectIn(BaseModel):
    """采购项目 A procurement project to declare."""

    model_config = ConfigDict(extra="forbid")

    plan_id: uuid.UUID
    division_code: DivisionCode
    title: str = Field(min_length=1, max_length=200)
    purchase_form: PurchaseForm = "service_contract"
    items: list[str] = Field(min_length=1, max_length=50, description="catalogue codes (GET /catalogue)")
    quantity: str | None = Field(default=None, max_length=200, examples=["13 名入户核查员"])
    budget: Money
    funding_source: FundingSource
    declared_on: date | None = Field(default=None, description="the declaration date the rules are judged by")

    @model_validator(mode="after")
    def _positive(self) -> ProjectIn:
        if self.budget <= 0:
            raise ValueError("预算应大于 0")
        return self


class ScoringParamsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_weight: Number = Field(default=Decimal("30"), ge=0, le=100, description="价格分值占比 %")
    history_weight: Number = Field(default=Decimal("0"), ge=0, le=20, description="以往绩效评价结果分值 %")
    sme_deduction_percent: Number = Field(
        default=Decimal("10"),
        ge=0,
        le=100,
        description="小微企业价格扣除 %：须在采购公告之日有效的区间内（服务项目：2022-07-01 起 10–20，此前 6–10）",
    )
    abnormal_low_ratio: Number = Field(default=Decimal("0.80"), gt=0, le=1)


class AnnounceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method
    ground: str | None = Field(default=None, max_length=64)
    approval: str | None = Field(default=None, max_length=200, description="财政部门采购方式变更批准文号")
    publicity_working_days: int | None = Field(default=None, ge=0, le=60)
    threshold_confirmation: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="采购人核对的数额标准文件（当地数额标准未核实且决定结果时必填）",
        examples=["粤财采购〔2020〕1号 公开招标数额标准 400 万元"],
    )
    documents_issued_on: date | None = Field(
        default=None,
        description="采购文件开始发出之日（默认：公告之日；不得早于公告之日）",
    )
    response_deadline: date | None = Field(
        default=None,
        description=(
            "提交投标、响应文件的截止之日（默认：该方式最短期限届满之日）。短于最短期限的拒绝"
            "（PERIOD_TOO_SHORT，附条款）：公开、邀请招标 20 日，竞争性磋商 10 日，竞争性谈判、询价 3 个工作日；"
            "单一来源为公示期满之次日"
        ),
    )
    scoring: ScoringParamsIn = Field(default_factory=ScoringParamsIn)


class DeadlineExtensionIn(BaseModel):
    """期限延长 Extending a project deadline, with its ground."""

    model_config = ConfigDict(extra="forbid")

    response_deadline: date = Field(description="新的截止之日：只能晚于现在的截止之日")
    reason: str = Field(min_length=1, max_length=2000, description="延长的理由（记入项目的审计记录）")


class DeadlineMetIn(BaseModel):
    """期限完成 The day a project deadline was met."""

    model_config = ConfigDict(extra="forbid")

    on: date = Field(description="实际完成之日（不早于起算之日，不晚于今天）")


class ProjectDeadlineOut(BaseModel):
    """A deadline after the award, with its due date and clause: met, late, overdue or pending."""

    key: str
    name: str
    due_on: date
    fulfilled_on: date | None = None
    citation: str
    manual: bool = Field(description="由采购人登记完成（否则由状态变更完成，如签订合同）")
    status: Literal["met", "late", "overdue", "pending"] = "pending"
    suspended_days: int = Field(
        default=0, description="暂停采购活动（政府采购法 57）顺延的天数，已计入 due_on"
    )


class OverdueProjectDeadlineOut(BaseModel):
    """逾期期限 A project deadline that is overdue."""

    project_id: uuid.UUID
    division_code: str
    title: str
    project_status: str
    key: str
    name: str
    due_on: date
    days_overdue: int
    citation: str


class MethodChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approval: str = Field(min_length=1, max_length=200, description="变更采购方式的批准文号")


class TakeoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    taken_over_by: str = Field(min_length=1, max_length=200, description="临时接管的单位")
    reprocure: bool = True
    reprocurement_budget: Money | None = None


class ProjectOut(BaseModel):
    """采购项目 A procurement project and its state."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    plan_id: uuid.UUID
    division_code: str
    title: str
    purchase_form: PurchaseForm
    items: list[str]
    quantity: str | None
    budget: Money
    funding_source: str
    declared_on: date
    status: str
    method: str | None
    method_details: dict[str, Any] | None
    scoring_params: dict[str, Any] | None
    round: int
    approved_on: date | None
    announced_on: date | None
    awarded_bid_id: uuid.UUID | None
    awarded_uscc: str | None
    awarded_amount: Money | None
    awarded_on: date | None
    challenge_deadline: date | None
    documents_issued_on: date | None = None
    response_deadline: date | None = None
    suspended_until: date | None = Field(
        default=None,
        description="财政部门暂停采购活动至该日（含）：其间不得确定成交、签订合同（政府采购法 57）",
    )
    deadlines: list[ProjectDeadlineOut] = Field(
        default_factory=list, description="成交后的法定期限及其到期日（实施条例 43、50；政府采购法 46）"
    )
    contract_id: uuid.UUID | None
    replaces_project_id: uuid.UUID | None
    outcome: dict[str, Any] | None
    opening: dict[str, Any] | None = Field(
        description="开标记录 of the current round (who bid, prices read out, each commitment and its salt); "
        "null until the opening"
    )
    version: int
    created_at: datetime
    allowed_transitions: list[str] = []


class BidIn(BaseModel):
    """投标（响应） A bid: the price and the bidder's declarations (sealed until the opening)."""

    model_config = ConfigDict(extra="forbid")

    uscc: Uscc
    price: Money
    proposal: str | None = Field(default=None, max_length=10000)

    @model_validator(mode="after")
    def _positive(self) -> BidIn:
        if self.price <= 0:
            raise ValueError("报价应大于 0")
        return self


class BidReceiptOut(BaseModel):
    """What a sealed write answers (a receipt, 财政部令第87号 33): never the offer. A write's response
    is remembered for `Idempotency-Key` replays, in the database, in clear."""

    id: uuid.UUID
    project_id: uuid.UUID
    round: int
    sealed: bool
    submitted_at: datetime
    withdrawn_at: datetime | None
    commitment: str | None = Field(
        description="SHA-256 of a salt and the offer; the opening record publishes the salt"
    )


class BidOut(BaseModel):
    """A bid as the purchaser's side sees it: while `sealed`, only that it was received and when."""

    id: uuid.UUID
    project_id: uuid.UUID
    round: int
    sealed: bool = Field(
        description="true until the opening: bidder and price are not shown to anyone but the bidder"
    )
    uscc: str | None
    contractor_name: str | None
    price: Money | None
    small_enterprise: bool | None
    qualified: bool | None
    qualification_note: str | None
    explanation: str | None
    explanation_accepted: bool | None
    submitted_at: datetime
    opened_at: datetime | None


class BidDetailOut(BidOut):
    """One bid: its bidder sees it whole at any time (unsealed for it alone before the opening);
    the purchaser's side once it is opened."""

    proposal: str | None
    commitment: str | None
    withdrawn_at: datetime | None


class QualificationIn(BaseModel):
    """资格审查 The qualification review of a bid."""

    model_config = ConfigDict(extra="forbid")

    qualified: bool
    note: str | None = Field(default=None, max_length=2000)


class ExplanationIn(BaseModel):
    """异常低价说明 A bidder's explanation of an abnormally low price and its acceptance."""

    model_config = ConfigDict(extra="forbid")

    explanation: str = Field(min_length=1, max_length=4000, description="投标人的书面说明")
    accepted: bool = Field(description="评审委员会是否认可")


class PanelMember(BaseModel):
    """评委 A member of the scoring panel."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    expert: bool = Field(description="评审专家 (否则为采购人代表)")


class PanelScore(BaseModel):
    """评分 A panel member's score of a bid."""

    model_config = ConfigDict(extra="forbid")

    bid_id: uuid.UUID
    member_id: str = Field(min_length=1, max_length=64)
    score: Number = Field(ge=0, le=100, decimal_places=2)


class ScoringIn(BaseModel):
    """评分 The panel's scores of the bids."""

    model_config = ConfigDict(extra="forbid")

    members: list[PanelMember] = Field(min_length=1, max_length=25)
    scores: list[PanelScore] = Field(min_length=1, max_length=2000)


ProjectStatus = Literal[
    "declared",
    "approved",
    "announced",
    "bidding_closed",
    "qualification_review",
    "scoring",
    "awarded",
    "contract_signed",
    "performance_supervision",
    "final_evaluation",
    "closed",
    "cancelled",
    "failed",
    "terminated",
    "taken_over",
]
