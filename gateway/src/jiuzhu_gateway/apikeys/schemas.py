from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.auth import Role
from jiuzhu_kit.divisions import DivisionCode


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Who uses the key, e.g. 福建省救助信息系统")
    roles: list[Role] = Field(min_length=1, max_length=8)
    division: DivisionCode = Field(description="The jurisdiction the key acts for")
    org: str | None = Field(default=None, max_length=32, description="Contractor's credit code, if any")
    expires_at: datetime | None = None


class ApiKeyRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key_id: str
    name: str
    roles: list[str]
    division: str
    org: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None
    version: int


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key, shown only once: store it now")
