from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.ids import DivisionCode


class ScenarioIn(BaseModel):
    """测算方案 A staffing scenario to save."""

    model_config = ConfigDict(extra="forbid")

    division_code: DivisionCode
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["staffing", "budget"] = "staffing"
    inputs: dict[str, Any] = Field(
        description="kind=staffing: a StaffingRequest; kind=budget: a BudgetRequest (same as /calculations)"
    )


class ScenarioOut(BaseModel):
    """测算方案 A saved staffing scenario and its result."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    division_code: str
    name: str
    kind: str
    inputs: dict[str, Any]
    result: dict[str, Any] | None
    pack_version: str | None = Field(description="the rule pack used, `id@version`")
    pack_hash: str | None = Field(description="content hash of the resolved pack used")
    version: int
    created_by: str
    created_at: datetime


class ScenarioSummary(BaseModel):
    """A saved scenario in a list (inputs and result are on the scenario itself)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    division_code: str
    name: str
    kind: str
    pack_version: str | None
    created_by: str
    created_at: datetime


class ReproduceOut(BaseModel):
    """复算 A saved scenario worked out again, and whether it still gives the same."""

    scenario_id: uuid.UUID
    pack_version: str
    pack_hash: str
    identical: bool = Field(description="recomputed with the stored pack snapshot: equal to the saved result")
    result: dict[str, Any]
    current_pack_version: str | None = Field(description="the pack a new calculation would use today")
    current_pack_hash: str | None
    current_differs: bool | None = Field(description="would the current pack give another result?")
