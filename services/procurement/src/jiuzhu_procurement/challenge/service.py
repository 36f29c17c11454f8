"""Challenges (质疑, 政府采购法 52–53): a supplier challenges the documents (within 7 working days of
their issue), the process (from the close of bidding) or the result (within 7 working days of the
award); each window is the rule `challenge_working_days`. The purchaser's reply is due 7 working
days after receipt (`challenge_reply_working_days`, 53) and a complaint may follow within 15
working days after that (`complaint_working_days`, 55): both dates are set on receipt. An open
challenge holds the award (no contract signed) until it is answered."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

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
from jiuzhu_procurement.contractor.service import get_by_uscc
from jiuzhu_procurement.project import periods
from jiuzhu_procurement.project.models import Bid, Project
from jiuzhu_procurement.project.policy import ProjectNotFound
from jiuzhu_procurement.rulebook.book import rules_at
from jiuzhu_procurement.workflow.machine import snapshot


class ChallengeWindowClosed(Conflict):
    code = "CHALLENGE_WINDOW_CLOSED"
    zh = "质疑期已于 {deadline} 届满（政府采购法 第五十二条；期限见规则 challenge_working_days）"
    en = "The challenge period ended on {deadline} (政府采购法 52; its length is the rule challenge_working_days)"


class ChallengeNotOpen(Conflict):
    code = "CHALLENGE_NOT_OPEN"
    zh = "项目当前（{status}）不能对{against_zh}提出质疑"
    en = "The project ({status}) cannot be challenged on its {against} now"


class NotABidder(Conflict):
    code = "NOT_A_BIDDER"
    zh = "只有参加本项目的供应商可以质疑"
    en = "Only a supplier that took part may challenge"


AGAINST_ZH = {"documents": "采购文件", "process": "采购过程", "result": "成交结果"}
# When each kind may be raised: the documents once issued, the process once bidding closed, the
# result once awarded; never after the contract is signed.
OPEN_IN = {
    "documents": frozenset({"announced", "bidding_closed", "qualification_review", "scoring", "awarded"}),
    "process": frozenset({"bidding_closed", "qualification_review", "scoring", "awarded"}),
    "result": frozenset({"awarded"}),
}


async def submit(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    project_id: uuid.UUID,
    body: ChallengeIn,
    today: date,
    app_state: Any,
) -> Challenge:
    if principal.org != body.uscc.upper() and not principal.has(Role.ADMIN):
        raise RoleForbidden()
    p = (await session.execute(select(Project).where(Project.id == project_id))).scalar_one_or_none()
    if p is None:
        raise ProjectNotFound()
    code = body.uscc.upper()
    if p.status not in OPEN_IN[body.against] or (
        body.against == "documents" and p.documents_issued_on is None
    ):
        raise ChallengeNotOpen(status=p.status, against=body.against, against_zh=AGAINST_ZH[body.against])
    at = rules_at(app_state, p.division_code, today)
    cal = await app_state.calendar_store.load(
        session, min(today, p.documents_issued_on or today), today + periods.CALENDAR_SPAN
    )
    window_end: date | None = None
    if body.against == "documents":
        assert p.documents_issued_on is not None
        window_end = periods.after(cal, p.documents_issued_on, at.rule("challenge_working_days"))
    elif p.status == "awarded":
        # The result's window runs from the award; so does the process's, once the award is made.
        if p.challenge_deadline is None:
            raise ChallengeNotOpen(status=p.status, against=body.against, against_zh=AGAINST_ZH[body.against])
        window_end = p.challenge_deadline
    if window_end is not None and today > window_end:
        raise ChallengeWindowClosed(deadline=window_end.isoformat())
    if body.against == "documents":
        await get_by_uscc(session, code)  # a registered supplier; it may not have bid yet
    else:
        took_part = (
            await session.execute(select(Bid.id).where(Bid.project_id == p.id, Bid.uscc == code))
        ).first()
        if not took_part:
            raise NotABidder()
    reply_due = periods.after(cal, today, at.rule("challenge_reply_working_days"))
    c = Challenge(
        project_id=p.id,
        division_code=p.division_code,
        uscc=code,
        against=body.against,
        grounds=body.grounds,
        submitted_on=today,
        reply_due=reply_due,
        complaint_deadline=periods.after(cal, reply_due, at.rule("complaint_working_days")),
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
        (
            await session.execute(
                select(Challenge)
                .where(Challenge.project_id == project.id)
                .order_by(Challenge.submitted_on, Challenge.id)
            )
        ).scalars()
    )
