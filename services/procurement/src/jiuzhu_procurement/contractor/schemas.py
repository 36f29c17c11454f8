from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Capacities(BaseModel):
    """Declared capacities (seed 000 二(3); 闽民保〔2018〕58号 一(二))."""

    model_config = ConfigDict(extra="forbid")

    facilities: str = Field(min_length=1, max_length=1000, description="必需的设施")
    staff_count: int = Field(ge=0, le=100000, description="专职人员数")
    skills: list[str] = Field(default_factory=list, max_length=50, description="专业技术能力")
    finance_system: bool = Field(description="健全的财务会计和资产管理制度")
    governance: bool = Field(description="健全的内部治理结构")
    independent_liability: bool = Field(description="独立承担民事责任的能力")


class ContractorIn(BaseModel):
    """承接主体 A contractor's registration."""

    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(min_length=18, max_length=18, examples=["91350100M000100Y43"])
    name: str = Field(min_length=1, max_length=200)
    # Only for public institutions: the code cannot tell class 1 from class 2 (事业单位分类改革).
    public_institution_class: Literal["class1", "class2", "production_operation"] | None = None
    small_enterprise: bool = Field(default=False, description="中小企业/小微企业 (财库〔2020〕46号)")
    legal_representative: str = Field(min_length=1, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\- ]{5,32}$")
    capacities: Capacities


class ContractorOut(BaseModel):
    """承接主体 A contractor as registered, with its debarment state."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    uscc: str
    name: str
    entity_type: str
    registration_kind: str
    division_code: str
    small_enterprise: bool
    legal_representative: str | None
    contact_phone: str | None
    capacities: dict[str, object]
    version: int
    created_at: datetime
    debarred: bool = False
    debarred_until: date | None = None
