"""Challenges (质疑): a bidder may challenge within 7 working days of the award (政府采购法 52);
an open challenge holds the award (no contract signed) until the purchaser answers (53)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import Conflict, NotFound
from jiuzhu_procurement.project.models import Bid, Challenge, Project
from jiuzhu_procurement.project.schemas import ChallengeIn
from jiuzhu_procurement.project.service import ProjectNotFound
from jiuzhu_procurement.workflow.machine import Ctx, Machine, snapshot, t


class ChallengeNotFound(NotFound):
    code = "CHALLENGE_NOT_FOUND"
    zh = "未找到该质疑"
    en = "Challenge not found"


class ChallengeWindowClosed(Conflict):
    code = "CHALLENGE_WINDOW_CLOSED"
    zh = "质疑期已于 {deadline} 届满（成交公告后 7 个工作日，政府采购法 52）"
    en = "The challenge period ended on {deadline} (7 working days after the award, 政府采购法 52)"


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
        aggregate_type="challenge",
        aggregate_id=c.id,
        action="challenge.submitted",
        actor=principal,
        data=snapshot(c),
        jurisdiction=p.division_code,
    )
    return c


async def _decide(ctx: Ctx) -> None:
    ctx.entity.decision = ctx.reason
    ctx.entity.decided_on = ctx.today


MACHINE = Machine(
    "challenge",
    "质疑",
    "open",
    [
        t(
            "open",
            "upheld",
            "uphold",
            [Role.BUREAU, Role.TOWNSHIP],
            _decide,
            reason=True,
            doc="质疑成立：项目重新评审或重新采购",
        ),
        t(
            "open",
            "dismissed",
            "dismiss",
            [Role.BUREAU, Role.TOWNSHIP],
            _decide,
            reason=True,
            doc="质疑不成立",
        ),
    ],
)
