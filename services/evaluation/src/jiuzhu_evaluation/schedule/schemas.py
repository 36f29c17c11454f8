"""A contract's evaluation schedule as served."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

ScheduleStatus = Literal["upcoming", "running", "in_progress", "published", "missing"]


class ScheduledPeriodOut(BaseModel):
    """评价期间 One period to evaluate."""

    period_kind: Literal["annual", "half_yearly"]
    period: str = Field(examples=["2019-H1"])
    starts_on: date
    ends_on: date
    status: ScheduleStatus = Field(
        description="upcoming: 未开始; running: 期间进行中、尚无轮次; in_progress: 轮次已开启未公示; "
        "published: 结果已公示; missing: 期间已结束而无已公示的评价（逾期）"
    )
    round_id: uuid.UUID | None = None
    grade: str | None = None
    days_overdue: int | None = Field(default=None, description="missing 时：期间结束后的天数")


class ScheduleOut(BaseModel):
    """评价安排 A contract's evaluation schedule."""

    contract_id: uuid.UUID
    purchaser_division: str
    contractor_uscc: str
    term_start: date
    term_end: date
    ended_on: date | None = Field(default=None, description="提前终止之日；其后的期间不再安排评价")
    evaluations_per_year: int
    basis: str = Field(description="规则出处，如 灵政办发〔2018〕201号 六(二)")
    verified: bool
    as_of: date
    periods: list[ScheduledPeriodOut]


class MissingRoundOut(BaseModel):
    """A period of a contract's evaluation schedule that ended with no round (the schedule's
    `missing`), as the county-wide list shows it."""

    contract_id: uuid.UUID = Field(description="采购服务中的合同 id")
    purchaser_division: str = Field(description="采购人的行政区划代码", examples=["640181"])
    contractor_uscc: str = Field(description="承接主体的统一社会信用代码")
    period_kind: Literal["annual", "half_yearly"] = Field(description="annual 按年度；half_yearly 每半年")
    period: str = Field(description="评价期间", examples=["2020-H1"])
    starts_on: date = Field(description="期间开始日")
    ends_on: date = Field(description="期间结束日")
    days_overdue: int = Field(description="期间结束后已过的天数（按 on 计算）", examples=[15])
    evaluations_per_year: int = Field(description="合同期开始时适用的每年评价次数", examples=[2])
    basis: str = Field(description="规则出处（未核实的注明）", examples=["灵政办发〔2018〕201号 六(二)"])
