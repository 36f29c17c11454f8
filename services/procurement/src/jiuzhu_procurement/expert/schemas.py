from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from jiuzhu_kit.ids import DivisionCode, Uscc
from jiuzhu_procurement.expert.draw import ALGORITHM

FieldName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Fields = Annotated[list[FieldName], Field(max_length=20, description="专业领域（评审专业）")]
Hex64 = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{64}$",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ),
]


class ConflictIn(BaseModel):
    """A declared tie (财库〔2016〕198号 16): to an organisation by its credit code, or to a purchaser
    by its division (the expert is then never drawn for that purchaser's projects)."""

    model_config = ConfigDict(extra="forbid")

    uscc: Uscc | None = None
    division_code: DivisionCode | None = None
    note: str = Field(min_length=1, max_length=500, description="利害关系说明")

    @model_validator(mode="after")
    def _one_tie(self) -> ConflictIn:
        if (self.uscc is None) == (self.division_code is None):
            raise ValueError("须且只能填写 uscc 或 division_code 之一")
        return self


class ExpertIn(BaseModel):
    """评审专家 An expert for the pool."""

    model_config = ConfigDict(extra="forbid")

    pool_division: DivisionCode = Field(description="专家库所属行政区划（覆盖其下级的项目）")
    name: str = Field(min_length=1, max_length=50, description="姓名（个人信息，仅专家库管理部门可见全名）")
    fields: Fields = Field(min_length=1)
    organisation: str = Field(min_length=1, max_length=200, description="工作单位")
    organisation_uscc: Uscc | None = Field(default=None, description="工作单位的统一社会信用代码（有则填写）")
    conflicts: list[ConflictIn] = Field(default_factory=list, max_length=50)


class StatusIn(BaseModel):
    """专家状态 An expert's status change."""

    model_config = ConfigDict(extra="forbid")

    active: bool
    reason: str = Field(min_length=1, max_length=500)


class ExpertOut(BaseModel):
    """评审专家 An expert in the pool."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    pool_division: str
    name: str | None = Field(description="masked (张**) for anyone but the pool's managers")
    fields: list[str]
    organisation: str
    organisation_uscc: str | None
    conflicts: list[dict[str, Any]] | None = Field(default=None, description="the pool's managers only")
    active: bool
    version: int
    created_at: datetime


class CommitmentIn(BaseModel):
    """承诺 The purchaser's commitment to its seed, published before the draw."""

    model_config = ConfigDict(extra="forbid")

    purchaser_commitment: Hex64 = Field(
        description="sha256 of the purchaser's secret seed (32–128 lowercase hex characters, e.g. "
        "`openssl rand -hex 32`), as lowercase hex; the seed itself is revealed at the draw"
    )
    representatives: int = Field(default=0, ge=0, le=8, description="采购人代表人数")
    panel_size: int | None = Field(
        default=None, ge=1, le=25, description="评审小组人数; omitted: the smallest the rule allows"
    )
    fields: Fields = Field(default_factory=list, description="项目需要的专业（专家须具备其一）; empty: any")


class RevealIn(BaseModel):
    """公开种子 The purchaser's seed, revealed for the draw."""

    model_config = ConfigDict(extra="forbid")

    seed: str = Field(pattern=r"^[0-9a-f]{32,128}$", description="the purchaser's seed, as committed")


class RuleOut(BaseModel):
    """规则 A rule and its citation."""

    minimum: int
    odd: bool
    expert_share: str
    citation: str


class ExclusionOut(BaseModel):
    """回避排除 A candidate excluded from a draw and why."""

    expert_id: str
    reason: str
    reason_zh: str
    reason_en: str
    citation: str


class PanelExpertOut(BaseModel):
    """小组专家 An expert drawn onto a panel."""

    expert_id: str
    name: str = Field(description="masked (张**) for anyone but the managers of the expert's pool")
    organisation: str
    fields: list[str]


class PublicDrawOut(BaseModel):
    """Everything a reader needs to recompute the panel (expert/draw.py: the algorithm)."""

    project_id: uuid.UUID
    round: int
    status: str = Field(description="committed (seeds still secret) | drawn")
    algorithm: str = Field(examples=[ALGORITHM])
    algorithm_steps: list[str]
    basis: str
    purchaser_commitment: str
    service_commitment: str
    pool_hash: str
    pool_size: int
    panel_size: int
    representatives: int
    experts: int
    fields: list[str]
    rule: RuleOut
    committed_at: datetime
    purchaser_seed: str | None = None
    service_seed: str | None = None
    pool: list[str] | None = Field(default=None, description="the frozen pool: sorted expert ids")
    exclusions: list[ExclusionOut] | None = None
    eligible: list[str] | None = None
    ranking: list[str] | None = None
    panel: list[str] | None = None
    drawn_at: datetime | None = None


class DrawOut(PublicDrawOut):
    """The purchaser's view: the public record and who the drawn experts are."""

    panel_experts: list[PanelExpertOut] | None = None
    committed_by: str
    drawn_by: str | None = None
