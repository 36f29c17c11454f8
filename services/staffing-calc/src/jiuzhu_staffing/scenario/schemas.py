from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.divisions import DivisionCode


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    division_code: DivisionCode
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="staffing", pattern=r"^[a-z_]{1,32}$")
    inputs: dict[str, Any]


class ScenarioOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    division_code: str
    name: str
    kind: str
    inputs: dict[str, Any]
    result: dict[str, Any] | None
    pack_version: str | None
    version: int
    created_by: str
    created_at: datetime
