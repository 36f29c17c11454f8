"""The calculation tables' requests: the staffing (附件2) or batch (附件1) request, plus the staff a
county already has (seed 000 二(六): 根据现有社会救助工作人员的现状), typed or read from the roster."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_staffing.batch.schemas import BatchRequest
from jiuzhu_staffing.calc.schemas import Count, StaffingRequest


class ExistingStaff(BaseModel):
    """People a unit already has (现有人数)."""

    model_config = ConfigDict(extra="forbid")
    unit: str = Field(
        min_length=1,
        max_length=100,
        description="附件2：镇（街道）名称；附件1：县级行政区划代码",
        examples=["崇兴镇"],
    )
    people: Count = Field(description="现有人数", examples=[1])


class ExistingFrom(BaseModel):
    """Where the existing staff come from: typed per unit, or procurement's roster (workers in post
    on the table's date, by the township or county they serve)."""

    model_config = ConfigDict(extra="forbid")
    existing: list[ExistingStaff] | None = Field(
        default=None,
        max_length=5000,
        description="现有人数（按单位）；缺省且不取花名册时，现有人数、缺口与缺口经费三列留空",
    )
    existing_from_roster: bool = Field(
        default=False,
        description="true：现有人数取自花名册（测算日期在岗人员，按服务的镇（街道）或县级单位）",
    )


class TownshipTableRequest(StaffingRequest, ExistingFrom):
    """附件2 for one county: the staffing request and the existing staff of its townships."""


class CountyTableRequest(BatchRequest, ExistingFrom):
    """附件1 for several counties: the batch request and each county bureau's existing staff."""
