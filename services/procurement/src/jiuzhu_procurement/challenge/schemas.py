from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from jiuzhu_kit.ids import Uscc

Against = Literal["documents", "process", "result"]


class ChallengeIn(BaseModel):
    """质疑 A supplier's challenge to a procurement (政府采购法 52)."""

    model_config = ConfigDict(extra="forbid")

    uscc: Uscc
    against: Against = Field(
        default="result",
        description=(
            "质疑对象（政府采购法 52）：documents 采购文件（发出之日起 7 个工作日内）、process 采购过程"
            "（截止递交后至成交质疑期届满）、result 成交结果（确定成交后 7 个工作日内）"
        ),
    )
    grounds: str = Field(min_length=5, max_length=4000)


class ChallengeOut(BaseModel):
    """质疑 A challenge and its handling."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    uscc: str
    against: str
    grounds: str
    submitted_on: date
    reply_due: date | None = Field(description="采购人答复期限：收到质疑后 7 个工作日（政府采购法 53）")
    complaint_deadline: date | None = Field(
        description="供应商可向同级财政部门投诉至该日：答复期满后 15 个工作日（政府采购法 55）"
    )
    status: str
    decision: str | None = Field(description="答复（质疑成立或不成立的理由）全文")
    decided_on: date | None
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def replied_late(self) -> bool | None:
        """Whether the answer came after its due date (None: not answered yet)."""
        if self.decided_on is None or self.reply_due is None:
            return None
        return self.decided_on > self.reply_due
