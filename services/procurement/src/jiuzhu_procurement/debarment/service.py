"""Debarment cases: opened by the bureau or finance, answered and decided along debarment/machine.py;
a decided debarment bars the contractor nationwide while in force (政府采购法 77)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.debarment.machine import MACHINE as MACHINE  # the service's machine too
from jiuzhu_procurement.debarment.models import Debarment
from jiuzhu_procurement.debarment.policy import POLICY
from jiuzhu_procurement.debarment.policy import (
    DebarmentNotFound as DebarmentNotFound,  # the service's refusal too
)
from jiuzhu_procurement.debarment.schemas import DebarmentReportIn


class ContractorDebarred(Conflict):
    code = "CONTRACTOR_DEBARRED"
    zh = "承接主体 {uscc} 处于禁止参加政府采购期内（至 {until}），不得投标或签约（政府采购法 77；闽民保〔2018〕58号 一(七)）"
    en = "Contractor {uscc} is debarred until {until}; it may not bid or sign (政府采购法 77)"

    def extra(self) -> dict[str, Any]:
        return {"uscc": self.params.get("uscc"), "debarred_until": self.params.get("until")}


async def load(session: AsyncSession, debarment_id: uuid.UUID) -> Debarment | None:
    return (await session.execute(select(Debarment).where(Debarment.id == debarment_id))).scalar_one_or_none()


async def current_debarment(session: AsyncSession, code: str, on: date) -> Debarment | None:
    """The debarment in force on `on`, anywhere in the country (nationwide effect)."""
    return (
        await session.execute(
            select(Debarment)
            .where(
                Debarment.uscc == code,
                Debarment.status == "debarred",
                Debarment.effective_from <= on,
                Debarment.effective_until >= on,
            )
            .order_by(Debarment.effective_until.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def ensure_not_debarred(session: AsyncSession, code: str, on: date) -> None:
    d = await current_debarment(session, code, on)
    if d is not None:
        raise ContractorDebarred(uscc=code, until=d.effective_until.isoformat() if d.effective_until else "")


async def report(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    contractor: Contractor,
    body: DebarmentReportIn,
    today: date,
    response_due: date,
) -> Debarment:
    """Open a case: the contractor is notified and may respond until `response_due` (due process)."""
    d = Debarment(
        contractor_id=contractor.id,
        uscc=contractor.uscc,
        status="reported",
        division_code=principal.division,
        grounds=body.grounds,
        reported_by=principal.sub,
        reported_on=today,
        response_due_on=response_due,
    )
    session.add(d)
    await session.flush()
    await audit.record(
        session,
        POLICY,
        d,
        "debarment.reported",
        principal,
        reason=body.grounds,
    )
    return d
