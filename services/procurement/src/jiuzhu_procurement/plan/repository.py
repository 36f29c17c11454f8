"""Purchase plans in the database: load, existence per purchaser and year, budget committed."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_procurement.contract.models import Payment
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.project.models import Project


async def load(session: AsyncSession, plan_id: uuid.UUID, *, lock: bool = False) -> PurchasePlan | None:
    q = select(PurchasePlan).where(PurchasePlan.id == plan_id)
    return (await session.execute(q.with_for_update() if lock else q)).scalar_one_or_none()


async def existing(session: AsyncSession, division_code: str, year: int) -> PurchasePlan | None:
    """The purchaser's plan for that year, if one exists (one per purchaser and year)."""
    q = select(PurchasePlan).where(PurchasePlan.division_code == division_code, PurchasePlan.year == year)
    return (await session.execute(q.limit(1))).scalar_one_or_none()


async def committed(
    session: AsyncSession, plan_id: uuid.UUID, exclude: uuid.UUID | None = None
) -> dict[str, Decimal]:
    """Budget committed per funding source by the plan's live projects.

    A project whose contract was terminated or taken over (exit mechanism and temporary takeover,
    闽民保〔2018〕58号 一(七)) keeps only what was released under that contract: the rest is freed
    for its re-procurement, which would otherwise count the same money twice and never be approved.
    """
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.contract_id == Project.contract_id, Payment.status == "released")
        .correlate(Project)
        .scalar_subquery()
    )
    ended = Project.outcome.has_key("terminated") | Project.outcome.has_key("taken_over")
    q = (
        select(Project.funding_source, func.coalesce(func.sum(case((ended, paid), else_=Project.budget)), 0))
        .where(Project.plan_id == plan_id, Project.status.not_in(("cancelled",)))
        .group_by(Project.funding_source)
    )
    if exclude is not None:
        q = q.where(Project.id != exclude)
    return {src: Decimal(amount) for src, amount in (await session.execute(q)).all()}
