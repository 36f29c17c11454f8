"""The roster's requests and answers. Personal data leaves the service masked (`id_number`,
`phone` in WorkerOut), in full only as PersonalDataOut from the audited route."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.money import Number
from jiuzhu_procurement.roster.rules import EDUCATION, valid_id_number

Education = Literal["junior_high", "senior_high", "junior_college", "bachelor", "master", "doctorate"]
assert set(EDUCATION) == set(Education.__args__)  # type: ignore[attr-defined]


class WorkerIn(BaseModel):
    """A worker the contractor adds to its roster (recruited)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=50, examples=["马建军"])
    id_number: str = Field(
        description="居民身份证号码（18 位，校验码按 GB 11643）", examples=["640181199001011237"]
    )
    phone: str | None = Field(default=None, pattern=r"^[0-9+\-]{5,20}$", examples=["13995123456"])
    education: Education = Field(description="学历：junior_high 初中 … junior_college 大专 … doctorate 博士")
    household_division: DivisionCode = Field(description="户籍所在地行政区划代码", examples=["640181"])
    social_work_qualification: Literal["assistant", "social_worker", "senior"] | None = Field(
        default=None, description="社会工作者职业水平证书：助理社会工作师 / 社会工作师 / 高级社会工作师"
    )
    veteran: bool = Field(default=False, description="退役军人（闽民保〔2018〕58号 二(二) 优先）")
    returning_graduate: bool = Field(default=False, description="返乡高校毕业生（同上）")
    unit_name: str = Field(min_length=1, max_length=100, examples=["崇兴镇"], description="服务单位")
    serves_division: DivisionCode = Field(
        description="服务的乡镇（街道）或村（社区）", examples=["640181100"]
    )
    start_on: date | None = Field(default=None, description="聘用开始日")
    end_on: date | None = Field(default=None, description="聘用结束日")

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, v: str) -> str:
        if not valid_id_number(v):
            raise ValueError("身份证号码不正确（18 位，校验码按 GB 11643）")
        return v.strip().upper()


class WorkerOut(BaseModel):
    """人员 A contractor's worker on the roster."""

    id: uuid.UUID
    contract_id: uuid.UUID
    division_code: str
    contractor_uscc: str
    name: str
    id_number: str = Field(description="脱敏：前 6 位与后 4 位")
    phone: str | None = Field(description="脱敏")
    education: str
    household_division: str
    social_work_qualification: str | None
    veteran: bool
    returning_graduate: bool
    unit_name: str
    serves_division: str
    start_on: date | None
    end_on: date | None
    status: str
    recruited_on: date
    dispatched_on: date | None
    approved: dict[str, str] | None
    replacement_due: dict[str, str] | None
    replaces_id: uuid.UUID | None
    replaced_by_id: uuid.UUID | None
    replaced_on: date | None
    version: int
    created_at: datetime
    allowed_transitions: list[str] = []


class PersonalDataIn(BaseModel):
    """个人信息 A worker's personal data (kept apart and masked)."""

    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(
        min_length=2, max_length=500, examples=["办理社会保险登记"], description="查看完整信息的用途"
    )


class PersonalDataOut(BaseModel):
    """The full values, for the employer and the bureau; every read is in the worker's history."""

    worker_id: uuid.UUID
    name: str
    id_number: str
    phone: str | None


class ReplacementIn(BaseModel):
    """人员替换 Replacing a worker who left."""

    model_config = ConfigDict(extra="forbid")

    replacement_id: uuid.UUID = Field(description="接替的工作人员（同一合同花名册中，已派遣或到岗）")
    reason: str = Field(min_length=2, max_length=2000, examples=["2019 年度考核不合格，派遣公司重新选配"])


class AssessmentCheckIn(BaseModel):
    """Ask the evaluation service for the worker's assessment of a year (bureau)."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)


class TrainingIn(BaseModel):
    """培训 A training held for contractor staff."""

    model_config = ConfigDict(extra="forbid")

    on: date
    hours: Number = Field(examples=["4.0"], description="学时")
    subject: str = Field(min_length=2, max_length=500, examples=["社会救助政策与入户核查实务"])
    kind: Literal["induction", "business"] = Field(description="induction 入职培训；business 业务培训")
    organiser: str = Field(min_length=2, max_length=200, examples=["灵武市民政局"])
    attendees: list[uuid.UUID] = Field(min_length=1, max_length=500, description="参训人员（花名册 id）")

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: Decimal) -> Decimal:
        if not Decimal("0.5") <= v <= Decimal("200") or v != v.quantize(Decimal("0.1")):
            raise ValueError("学时应在 0.5 至 200 之间，最多一位小数")
        return v


class TrainingOut(BaseModel):
    """培训 A training as recorded."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contract_id: uuid.UUID
    on: date
    hours: Number
    subject: str
    kind: str
    organiser: str
    attendees: list[str]
    created_at: datetime


class TrainingGapOut(BaseModel):
    """One kind of training the rules require and the year lacks."""

    key: str = Field(description="sessions_per_year 年度培训次数不足；induction 未参加入职培训")
    detail: str = Field(description="缺少的培训（中文说明）")
    citation: str = Field(description="规则出处")
    required: int = Field(description="规则要求的次数（或人数）")
    recorded: int = Field(description="已记录的次数（或人数）")
    worker_ids: list[str] = Field(default=[], description="未参加入职培训的在岗人员（花名册 id）")


class TrainingStatusOut(BaseModel):
    """A contract's training in one year against the rules in force (六(三); seed 000 三(三))."""

    contract_id: uuid.UUID = Field(description="合同")
    year: int = Field(description="年度")
    sessions: int = Field(description="本年已记录的培训次数")
    missing: list[TrainingGapOut] = Field(description="缺少的培训；为空即无缺")


class LatestGradeOut(BaseModel):
    """The contract's latest published evaluation result (evaluation service, 公示)."""

    round_id: uuid.UUID = Field(description="评价轮次")
    period: str = Field(description="评价期间", examples=["2019-H1"])
    grade: str = Field(description="等次", examples=["良"])
    total: str = Field(description="总分", examples=["85.20"])
    published_at: datetime = Field(description="公示时间")


class ServingWorkerOut(BaseModel):
    """A worker in post, as the public sees them: family name only."""

    name: str = Field(description="脱敏姓名（如 张**）")
    unit_name: str = Field(description="服务单位")
    serves_division: str = Field(description="服务的乡镇（街道）或村（社区）的区划代码")


class ServingContractOut(BaseModel):
    """A contract whose workers serve the place: the contractor, the period, who is in post."""

    contract_id: uuid.UUID = Field(description="合同")
    contractor_name: str = Field(description="承接主体名称")
    contractor_uscc: str = Field(description="承接主体统一社会信用代码")
    purchaser_division: str = Field(description="购买主体的区划代码")
    term_start: date = Field(description="合同期起")
    term_end: date = Field(description="合同期止")
    workers_in_post: int = Field(description="今日在岗人数")
    workers: list[ServingWorkerOut] = Field(description="在岗人员（姓名脱敏）")
    latest_evaluation: LatestGradeOut | None = Field(
        default=None, description="最近一次公示的绩效评价等次（无公示结果或评价服务不可用时为空）"
    )


class WhoServesOut(BaseModel):
    """Who serves a township or village: the contracts whose workers are in post there (public)."""

    division_code: str = Field(description="所查询的乡镇（街道）或村（社区）")
    on: date = Field(description="查询日（今天）")
    contracts: list[ServingContractOut] = Field(description="在此服务的合同，签订早者在前")


class InPostUnitOut(BaseModel):
    """Workers in post on the day, for one division served and unit."""

    serves_division: str = Field(
        description="服务的乡镇（街道）或村（社区）的区划代码", examples=["640181100"]
    )
    unit_name: str = Field(description="服务单位", examples=["崇兴镇"])
    workers: int = Field(description="当日在岗人数")


class InPostContractOut(BaseModel):
    """A contract bound to the roster (it names a headcount or keeps workers on it), in force on the day."""

    contract_id: uuid.UUID = Field(description="合同")
    purchaser_division: str = Field(description="购买主体的区划代码")
    contractor_name: str = Field(description="承接主体名称")
    headcount: int | None = Field(description="合同约定的派遣人数")


class InPostOut(BaseModel):
    """Who was in post on a day under a purchaser's division, from the roster (issue 16: the facts a
    compliance report reads instead of a typed count, seed 000 三(二)). `contracts` empty: no contract
    is bound to the roster there yet, so a typed count is still the only source."""

    division_code: str = Field(description="购买主体区划（含下级）")
    on: date = Field(description="基准日")
    contracts: list[InPostContractOut] = Field(description="当日有效、按花名册管理人员的合同")
    units: list[InPostUnitOut] = Field(description="按服务地与服务单位分组的在岗人数")
    total: int = Field(description="在岗人数合计")


class MissingTrainingOut(TrainingStatusOut):
    """A contract whose year lacks the training the rules require (六(三); seed 000 三(三))."""

    purchaser_division: str = Field(description="购买主体的区划代码")
    contractor_name: str = Field(description="承接主体名称")
