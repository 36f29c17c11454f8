"""Purchase plans: drafted by the purchaser, approved by finance (闽民保〔2018〕 / 龙民〔2018〕170号 一)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import Conflict, Exists
from jiuzhu_procurement.plan import repository
from jiuzhu_procurement.plan.machine import MACHINE as MACHINE  # the service's machine too
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.plan.policy import AGGREGATE as AGGREGATE
from jiuzhu_procurement.plan.policy import POLICY
from jiuzhu_procurement.plan.policy import PlanNotFound as PlanNotFound  # the service's refusal too
from jiuzhu_procurement.plan.schemas import BudgetLine, BudgetLineOut, PlanIn, PlanOut
from jiuzhu_procurement.workflow.machine import snapshot


class PlanNotEditable(Conflict):
    code = "PLAN_NOT_EDITABLE"
    zh = "只有草稿状态的计划可以修改"
    en = "Only a draft plan can be changed"


class PlanExists(Exists):
    code = "PLAN_EXISTS"
    zh = "该购买主体本年度已有购买计划"
    en = "This purchaser already has a plan for that year"


def _lines(lines: list[BudgetLine]) -> tuple[list[dict[str, Any]], Decimal]:
    dumped = [b.model_dump(mode="json") for b in lines]
    return dumped, sum((b.amount for b in lines), Decimal("0.00"))


async def create(session: AsyncSession, audit: AuditLog, principal: Principal, body: PlanIn) -> PurchasePlan:
    principal.ensure_covers(body.division_code)
    if (found := await repository.existing(session, body.division_code, body.year)) is not None:
        raise PlanExists(
            existing=(found.id, f"/plans/{found.id}") if POLICY.readable(principal, found) else None
        )
    lines, total = _lines(body.budget_lines)
    plan = PurchasePlan(
        division_code=body.division_code,
        year=body.year,
        title=body.title,
        status="draft",
        budget_lines=lines,
        total=total,
        created_by=principal.sub,
    )
    session.add(plan)
    await session.flush()
    await audit.record(
        session,
        POLICY,
        plan,
        "plan.created",
        principal,
    )
    return plan


async def replace_lines(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    plan_id: uuid.UUID,
    lines_in: list[BudgetLine],
) -> PurchasePlan:
    plan = await repository.load(session, plan_id, lock=True)
    if plan is None or not principal.covers(plan.division_code):
        raise PlanNotFound()
    if plan.status != "draft":
        raise PlanNotEditable()
    before = snapshot(plan)
    plan.budget_lines, plan.total = _lines(lines_in)
    plan.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        plan,
        "plan.lines_replaced",
        principal,
        before=before,
    )
    return plan


async def get(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PurchasePlan:
    """The plan if `principal` may read it (plan/policy.py), else its refusal."""
    return POLICY.check(principal, await repository.load(session, plan_id))


async def out(session: AsyncSession, plan: PurchasePlan) -> PlanOut:
    used = await repository.committed(session, plan.id)
    lines = []
    for line in plan.budget_lines:
        amount = Decimal(line["amount"])
        c = used.get(line["funding_source"], Decimal("0.00"))
        lines.append(
            BudgetLineOut(
                funding_source=line["funding_source"],
                amount=amount,
                scope=line["scope"],
                committed=c,
                remaining=amount - c,
            )
        )
    o = PlanOut.model_validate(
        {**{k: getattr(plan, k) for k in PlanOut.model_fields if k != "budget_lines"}, "budget_lines": lines}
    )
    return o
