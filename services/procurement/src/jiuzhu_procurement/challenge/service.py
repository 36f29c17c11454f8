"""Challenges (质疑): a bidder may challenge within the window of the rules (challenge_working_days:
7 working days of the award, 政府采购法 52), set on the project when it is awarded;
an open challenge holds the award (no contract signed) until the purchaser answers (53)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.challenge.machine import MACHINE as MACHINE  # the service's machine too
from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.challenge.policy import AGGREGATE
from jiuzhu_procurement.challenge.policy import (
    ChallengeNotFound as ChallengeNotFound,  # the service's refusal too
)
from jiuzhu_procurement.challenge.schemas import ChallengeIn
from jiuzhu_procurement.project.models import Bid, Project
from jiuzhu_procurement.project.policy import ProjectNotFound
from jiuzhu_procurement.workflow.machine import snapshot


class ChallengeWindowClosed(Conflict):
    code = "CHALLENGE_WINDOW_CLOSED"
    zh = "质疑期已于 {deadline} 届满（政府采购法 第五十二条；期限见规则 challenge_working_days）"
    en = "The challenge period ended on {deadline} (政府采购法 52; its length is the rule challenge_working_days)"


class ChallengeNotOpen(Conflict):
    code = "CHALLENGE_NOT_OPEN"
    zh = "项目不在可质疑阶段（{status}）"
    en = "The project cannot be challenged now ({status})"


class NotABidder(Conflict):
    code = "NOT_A_BIDDER"
    zh = "只有参加本项目的供应商可以质疑"
    en = "Only a supplier that took part may challenge"


async def submit(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    project_id: uuid.UUID,
    body: ChallengeIn,
    today: date,
) -> Challenge:
    if principal.org != body.uscc.upper() and not principal.has(Role.ADMIN):
        raise RoleForbidden()
    p = (await session.execute(select(Project).where(Project.id == project_id))).scalar_one_or_none()
    if p is None:
        raise ProjectNotFound()
    if p.status != "awarded" or p.challenge_deadline is None:
        raise ChallengeNotOpen(status=p.status)
    if today > p.challenge_deadline:
        raise ChallengeWindowClosed(deadline=p.challenge_deadline.isoformat())
    took_part = (
        await session.execute(select(Bid.id).where(Bid.project_id == p.id, Bid.uscc == body.uscc.upper()))
    ).first()
    if not took_part:
        raise NotABidder()
    c = Challenge(
        project_id=p.id,
        division_code=p.division_code,
        uscc=body.uscc.upper(),
        grounds=body.grounds,
        submitted_on=today,
        status="open",
    )
    session.add(c)
    await session.flush()
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=c.id,
        action="challenge.submitted",
        actor=principal,
        data=snapshot(c),
        jurisdiction=p.division_code,
    )
    return c


async def of_project(session: AsyncSession, project: Project) -> list[Challenge]:
    """The project's challenges (the caller has already been allowed to read the project)."""
    return list(
        (await session.execute(select(Challenge).where(Challenge.project_id == project.id))).scalars()
    )
