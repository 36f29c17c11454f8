"""The comprehensive-scoring ranking as the contract types it (project/scoring.py computes it,
project/service.py stores it on the project; 财政部令第87号 55, 60).

The routes send the stored ranking as it is (the bytes it has always had); these models are its
contract, checked against every captured example by tests/test_contract.py. Every field may be
absent: a project not yet scored answers `{}`, and an unqualified bid has no scores.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ScoringParamsOut(BaseModel):
    """评分参数 The weights and ratios the ranking used (decimal strings), from the rule pack."""

    model_config = ConfigDict(extra="forbid")

    price_weight: str | None = Field(default=None, description="价格分权重 the price score's weight (points)")
    history_weight: str | None = Field(default=None, description="履约评价分权重 the history score's weight")
    sme_deduction_percent: str | None = Field(
        default=None, description="小微企业价格扣除（%） price deduction"
    )
    abnormal_low_ratio: str | None = Field(
        default=None, description="异常低价比例 a price below this share of the mean is abnormally low"
    )


class PanelMemberOut(BaseModel):
    """评审小组成员 A member of the scoring panel (a drawn expert or the purchaser's representative)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="成员编号 the member's reference on the panel")
    expert: bool = Field(description="评审专家 true: a drawn expert; false: the purchaser's representative")


class RankedBidOut(BaseModel):
    """排名 One bid in the ranking with each score's breakdown (unqualified bids: no scores, no rank)."""

    model_config = ConfigDict(extra="forbid")

    bid_id: str = Field(description="投标（响应）标识 the bid")
    uscc: str = Field(description="供应商统一社会信用代码 the bidder's credit code")
    name: str = Field(description="供应商名称 the bidder's name")
    price: str = Field(description="报价 the price offered, a decimal string in yuan")
    status: Literal["valid", "unqualified", "pending_explanation", "invalid_abnormally_low"] = Field(
        description="状态 valid, unqualified, pending_explanation (abnormally low, explanation awaited) or "
        "invalid_abnormally_low (its explanation was not accepted)"
    )
    evaluated_price: str | None = Field(default=None, description="评审价 the price after the SME deduction")
    small_enterprise_deduction: str | None = Field(
        default=None, description="小微企业扣除（%） the deduction applied"
    )
    abnormally_low: bool | None = Field(
        default=None, description="异常低价 below the ratio of the mean price"
    )
    base_price: str | None = Field(default=None, description="评标基准价 the lowest evaluated price")
    price_score: str | None = Field(default=None, description="价格分 base price ÷ evaluated price × weight")
    price_formula: str | None = Field(default=None, description="价格分算式 the price score worked out")
    panel_score: str | None = Field(default=None, description="评审分 the panel members' mean")
    panel_members: dict[str, str] | None = Field(default=None, description="各成员评分 member → score")
    history_average: str | None = Field(
        default=None, description="历史评价均分 the bidder's published results"
    )
    history_score: str | None = Field(default=None, description="履约评价分 the history score")
    history_note: str | None = Field(
        default=None, description="说明 how the history score was set without results"
    )
    total: str | None = Field(default=None, description="总分 price + panel + history")
    rank: int | None = Field(default=None, description="名次 1 is first")


class RankingOut(BaseModel):
    """综合评分排名 The panel's scores and the full ranking; `awardable` is false while an abnormally
    low bid's explanation is pending. `{}` before the project is scored."""

    model_config = ConfigDict(extra="forbid")

    members: list[PanelMemberOut] | None = Field(default=None, description="评审小组 the scoring panel")
    panel_scores: dict[str, dict[str, str]] | None = Field(
        default=None, description="评分表 bid id → member → score, as recorded"
    )
    history: dict[str, str | None] | None = Field(
        default=None, description="历史评价均分 credit code → published average (null: none)"
    )
    params: ScoringParamsOut | None = Field(default=None, description="评分参数 the parameters used")
    mean_evaluated_price: str | None = Field(default=None, description="评审价均值 the mean evaluated price")
    base_price: str | None = Field(default=None, description="评标基准价 the lowest evaluated price")
    ranking: list[RankedBidOut] | None = Field(
        default=None, description="排名 ranked bids first, then the others"
    )
    pending_explanations: list[str] | None = Field(
        default=None, description="待说明 bids whose abnormally low price awaits an explanation"
    )
    awardable: bool | None = Field(default=None, description="可定标 true once nothing is pending")
    winner_bid_id: str | None = Field(default=None, description="第一名 the first-ranked bid, once awardable")
