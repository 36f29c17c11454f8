from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.ids import Uscc


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: Uscc
    grounds: str = Field(min_length=5, max_length=4000)


class ChallengeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    uscc: str
    grounds: str
    submitted_on: date
    status: str
    decision: str | None
    decided_on: date | None
    version: int
