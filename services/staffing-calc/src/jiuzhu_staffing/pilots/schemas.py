from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_staffing.calc.schemas import CountyCode


class PilotCounty(BaseModel):
    """试点县 A pilot county's figures."""

    model_config = ConfigDict(extra="forbid")
    division_code: CountyCode
    townships: list[str] = Field(max_length=20, description="试点乡镇名称（或 9 位代码）")


class PilotsIn(BaseModel):
    """试点申报 A province's pilot counties for a year."""

    model_config = ConfigDict(extra="forbid")
    counties: list[PilotCounty] = Field(max_length=500)
    expected_version: int | None = None


class PilotsOut(BaseModel):
    """试点申报 A province's pilot counties as recorded."""

    province_code: str
    year: int
    counties: list[dict[str, Any]]
    recorded_by: str
    recorded_at: datetime
    version: int


class PilotCheck(BaseModel):
    """试点核查 A province's pilot figures checked."""

    province_code: str
    year: int
    on: date
    pack: str
    ok: bool
    cities: list[dict[str, Any]] = Field(description="per city: pilot counties and the problems found")
    counties: list[dict[str, Any]] = Field(description="per pilot county: township count and problems")
    problems: list[str]
