"""The filters a bureau searches projects by (the list and its counts share them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select

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
from jiuzhu_procurement.project.models import Bid, Project
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


@dataclass
class BidFilters:
    division_code: DivisionFilter = None  # the project's
    project_id: uuid.UUID | None = None
    contractor_uscc: Annotated[
        Uscc | None, Query(description="投标人（仅开标后可查） (opened bids only)")
    ] = None
    opened: bool | None = None
    submitted_from: DateFilter = None
    submitted_to: DateFilter = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        query = in_division(query, Project.division_code, self.division_code)
        query = equal(equal(query, Bid.project_id, self.project_id), Bid.uscc, self.contractor_uscc)
        query = query.where(Bid.withdrawn_at.is_(None))
        if self.opened is not None:
            query = query.where(Bid.opened_at.is_not(None) if self.opened else Bid.opened_at.is_(None))
        return in_range(
            query, func.date(Bid.submitted_at), self.submitted_from, self.submitted_to, "submitted"
        )


class StatusCountsOut(BaseModel):
    """状态计数 How many records are in each state."""

    total: int
    by_status: dict[str, int]
