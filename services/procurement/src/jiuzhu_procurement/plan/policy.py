"""Who reads an annual purchase plan and its history: the purchaser's side in its jurisdiction."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_procurement.plan.models import PurchasePlan

AGGREGATE = "plan"


class PlanNotFound(NotFound):
    code = "PLAN_NOT_FOUND"
    zh = "未找到该年度购买计划"
    en = "Purchase plan not found"


class PlanPolicy(ReadPolicy[PurchasePlan]):
    aggregate = AGGREGATE
    not_found = PlanNotFound
    roles = frozenset({Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR})
    model = PurchasePlan


POLICY = PlanPolicy()
