"""Complaints (投诉): a supplier that challenged and is not satisfied with the answer, or got none
by its due date, complains to the finance department at the purchaser's level within 15 working
days after the reply deadline (政府采购法 55; the date is on the challenge). Finance decides within
30 working days (56, `decision_due`) and may suspend the purchase meanwhile (57): complaint/machine.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.challenge.policy import ChallengeNotFound
from jiuzhu_procurement.complaint.machine import MACHINE as MACHINE  # the service's machine too
from jiuzhu_procurement.complaint.models import Complaint
from jiuzhu_procurement.complaint.policy import AGGREGATE, finance_division
from jiuzhu_procurement.complaint.policy import (
    ComplaintNotFound as ComplaintNotFound,  # the service's refusal too
)
from jiuzhu_procurement.complaint.schemas import ComplaintIn
from jiuzhu_procurement.project import periods
from jiuzhu_procurement.project.models import Project
from jiuzhu_procurement.rulebook.book import rules_at
from jiuzhu_procurement.workflow.machine import snapshot


class ComplaintTooEarly(Conflict):
    code = "COMPLAINT_TOO_EARLY"
    zh = "采购人可在 {reply_due} 前答复质疑：答复前、答复期满前不得投诉（{citation}）"
    en = "The purchaser may answer the challenge until {reply_due}: no complaint before an answer or that day ({citation})"


class ComplaintWindowClosed(Conflict):
    code = "COMPLAINT_WINDOW_CLOSED"
    zh = "投诉期已于 {deadline} 届满（答复期满后 {days} 个工作日，{citation}）"
    en = "The complaint period ended on {deadline} ({days} working days after the reply deadline, {citation})"


class ComplaintExists(Conflict):
    code = "COMPLAINT_EXISTS"
    zh = "该质疑已有投诉"
    en = "This challenge is already under complaint"


async def file(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    body: ComplaintIn,
    today: date,
    app_state: Any,
) -> Complaint:
    ch = (
        await session.execute(select(Challenge).where(Challenge.id == body.challenge_id).with_for_update())
    ).scalar_one_or_none()
    if ch is None:
        raise ChallengeNotFound()
    if principal.org != ch.uscc and not principal.has(Role.ADMIN):
        raise RoleForbidden()  # only the supplier that challenged may complain about the answer
    at = rules_at(app_state, ch.division_code, today)
    if ch.status == "open" and ch.reply_due is not None and today <= ch.reply_due:
        raise ComplaintTooEarly(
            reply_due=ch.reply_due.isoformat(), citation=at.rule("complaint_working_days").cite
        )
    if ch.complaint_deadline is not None and today > ch.complaint_deadline:
        window = at.rule("complaint_working_days")
        raise ComplaintWindowClosed(
            deadline=ch.complaint_deadline.isoformat(), days=window.value, citation=window.cite
        )
    if (await session.execute(select(Complaint.id).where(Complaint.challenge_id == ch.id))).first():
        raise ComplaintExists()
    p = (await session.execute(select(Project).where(Project.id == ch.project_id))).scalar_one()
    cal = await app_state.calendar_store.load(session, today, today + periods.CALENDAR_SPAN)
    c = Complaint(
        project_id=p.id,
        challenge_id=ch.id,
        division_code=p.division_code,
        finance_division=finance_division(p.division_code),
        uscc=ch.uscc,
        grounds=body.grounds,
        filed_on=today,
        decision_due=periods.after(cal, today, at.rule("complaint_decision_working_days")),
        status=MACHINE.initial,
    )
    session.add(c)
    await session.flush()
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=c.id,
        action="complaint.filed",
        actor=principal,
        data=snapshot(c),
        jurisdiction=p.division_code,
    )
    return c


async def of_project(session: AsyncSession, project: Project) -> list[Complaint]:
    """The project's complaints (the caller has already been allowed to read the project)."""
    return list(
        (
            await session.execute(
                select(Complaint)
                .where(Complaint.project_id == project.id)
                .order_by(Complaint.filed_on, Complaint.id)
            )
        ).scalars()
    )
