"""The filters a bureau searches projects by (the list and its counts share them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, select

from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.listing import (
    DateFilter,
    DivisionFilter,
    TextFilter,
    YearFilter,
    equal,
    in_division,
    in_range,
    matching,
)
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.project.models import Project
from jiuzhu_procurement.project.schemas import Method, ProjectStatus


@dataclass
class ProjectFilters:
    division_code: DivisionFilter = None
    year: YearFilter = None  # the plan's year
    status: Annotated[ProjectStatus | None, Query()] = None
    plan_id: uuid.UUID | None = None
    method: Annotated[Method | None, Query()] = None
    contractor_uscc: Annotated[
        Uscc | None, Query(description="中标（成交）供应商 (the awarded supplier)")
    ] = None
    declared_from: DateFilter = None
    declared_to: DateFilter = None
    q: TextFilter = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        query = in_division(query, Project.division_code, self.division_code)
        if self.year is not None:
            query = query.where(
                Project.plan_id.in_(select(PurchasePlan.id).where(PurchasePlan.year == self.year))
            )
        query = equal(query, Project.status, self.status)
        query = equal(query, Project.plan_id, self.plan_id)
        query = equal(query, Project.method, self.method)
        query = equal(query, Project.awarded_uscc, self.contractor_uscc)
        query = in_range(query, Project.declared_on, self.declared_from, self.declared_to, "declared")
        return matching(query, self.q, Project.title)


class StatusCountsOut(BaseModel):
    total: int
    by_status: dict[str, int]
