from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from jiuzhu_kit.auth import Role
from jiuzhu_kit.divisions import DivisionCode


class ApiKeyIn(BaseModel):
    """API 密钥申请 What an administrator asks for when issuing a key to a system integration."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Who uses the key, e.g. 福建省救助信息系统")
    roles: list[Role] = Field(
        min_length=1, max_length=8, description="角色 The roles the key acts with (not admin)"
    )
    division_code: DivisionCode = Field(
        validation_alias=AliasChoices("division_code", "division"),
        description=(
            "行政区划代码 The jurisdiction the key acts for (GB/T 2260). Deprecated: the old name "
            "`division` is still accepted for this release and will be refused after it; send one of the two."
        ),
    )
    org: str | None = Field(default=None, max_length=32, description="Contractor's credit code, if any")
    expires_at: datetime | None = Field(
        default=None, description="失效时间 When the key stops working (none: never)"
    )


class ApiKeyRevoke(BaseModel):
    """吊销 API 密钥 Why a key is revoked (kept in its audit history)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class ApiKeyOut(BaseModel):
    """API 密钥 An issued key as administrators see it: its public part and scope, never its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key_id: str
    name: str
    roles: list[str]
    division_code: str = Field(
        validation_alias=AliasChoices("division_code", "division"),
        description="行政区划代码 The jurisdiction the key acts for (GB/T 2260)",
    )
    division: str = Field(
        description="Deprecated: the same as `division_code`, kept for this release only",
        json_schema_extra={"deprecated": True},
    )
    org: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None
    version: int


class ApiKeyCreated(ApiKeyOut):
    """新签发的 API 密钥 A key just issued, with its full secret (shown this once)."""

    key: str = Field(description="The full key, shown only once: store it now")
