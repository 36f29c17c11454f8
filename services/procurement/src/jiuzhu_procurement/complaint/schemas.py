from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

RedoFrom = Literal["announcement", "qualification_review", "scoring"]


class ComplaintIn(BaseModel):
    """投诉 A complaint to the finance bureau after a challenge (政府采购法 55)."""

    model_config = ConfigDict(extra="forbid")

    challenge_id: uuid.UUID = Field(description="先质疑后投诉：投诉针对的质疑（政府采购法 55）")
    grounds: str = Field(min_length=5, max_length=4000, description="投诉事项和理由")


class SuspendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(
        ge=1, le=366, description="暂停采购活动的天数（自今日起，含今日），不超过 30 日（政府采购法 57）"
    )


class UpholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    redo_from: RedoFrom = Field(
        description=(
            "投诉成立后重新进行的环节：announcement 修改采购文件后重新公告（项目回到 approved）、"
            "qualification_review 重新资格审查、scoring 重新评审"
        )
    )


class ComplaintOut(BaseModel):
    """投诉 A complaint and its handling."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    challenge_id: uuid.UUID
    division_code: str = Field(description="采购人的行政区划")
    finance_division: str = Field(description="处理投诉的同级财政部门所在行政区划")
    uscc: str
    grounds: str
    filed_on: date
    decision_due: date = Field(
        description="财政部门作出处理决定的期限：收到投诉后 30 个工作日（政府采购法 56）"
    )
    status: str
    suspended_on: date | None
    suspended_until: date | None = Field(description="暂停采购活动至该日（含）")
    decision: str | None = Field(description="处理决定全文")
    redo_from: str | None
    decided_on: date | None
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def decided_late(self) -> bool | None:
        """Whether the decision came after its due date (None: not decided yet)."""
        return None if self.decided_on is None else self.decided_on > self.decision_due
