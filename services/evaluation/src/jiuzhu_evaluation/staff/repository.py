"""Staff assessments in the database."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.staff.models import StaffAssessment


async def existing(
    session: AsyncSession, contract_id: uuid.UUID, staff_ref: str, year: int
) -> StaffAssessment | None:
    q = select(StaffAssessment).where(
        StaffAssessment.contract_id == contract_id,
        StaffAssessment.staff_ref == staff_ref,
        StaffAssessment.year == year,
    )
    return (await session.execute(q.limit(1))).scalar_one_or_none()


def of_contract(contract_id: uuid.UUID, staff_ref: str | None = None) -> Select[Any]:
    """A contract's assessments (one staff member's where named), by staff member and year; the
    caller narrows it by its read policy."""
    q = select(StaffAssessment).where(StaffAssessment.contract_id == contract_id)
    if staff_ref:
        q = q.where(StaffAssessment.staff_ref == staff_ref)
    return q.order_by(StaffAssessment.staff_ref, StaffAssessment.year)
