"""The complaint's machine (投诉, 政府采购法 55–58), on the one engine (workflow/machine.py): the
finance department at the purchaser's level may suspend the purchase for up to 30 days while it
handles the complaint (57), and decides within 30 working days (56): dismissed, upheld with the
step the purchase goes back to, or the award void. A decision lifts this complaint's suspension,
takes the place of an answer the purchaser never gave, and moves the project along its own table
(`follow`): the decision is finance's, the legality of the move is the project's table.
See `GET /workflows/complaint`."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.challenge.machine import MACHINE as CHALLENGE
from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.challenge.policy import ChallengeNotFound
from jiuzhu_procurement.complaint.models import Complaint
from jiuzhu_procurement.complaint.policy import AGGREGATE, ensure_handler
from jiuzhu_procurement.complaint.schemas import SuspendIn, UpholdIn
from jiuzhu_procurement.project import periods
from jiuzhu_procurement.project import repository as projects
from jiuzhu_procurement.project.machine import MACHINE as PROJECT
from jiuzhu_procurement.project.machine import touch
from jiuzhu_procurement.project.models import Project
from jiuzhu_procurement.project.policy import POLICY as PROJECTS
from jiuzhu_procurement.project.policy import ProjectNotFound
from jiuzhu_procurement.rulebook.book import rules_at
from jiuzhu_procurement.workflow.machine import Ctx, Machine, follow, snapshot, t

FINANCE = (Role.FINANCE,)
# The purchase can be suspended, or sent back, only before its contract is signed.
OPEN_PURCHASE = frozenset({"announced", "bidding_closed", "qualification_review", "scoring", "awarded"})
# Where an upheld complaint sends the project: the step named, as a state of the project's table.
REDO_TARGET = {
    "announcement": "approved",
    "qualification_review": "qualification_review",
    "scoring": "scoring",
}
# The states each target is gone back to from: never forward (a project not there yet carries on).
LATER = {
    "approved": OPEN_PURCHASE,
    "qualification_review": frozenset({"scoring", "awarded"}),
    "scoring": frozenset({"awarded"}),
    "failed": frozenset({"awarded"}),
}


class SuspensionTooLong(Conflict):
    code = "SUSPENSION_TOO_LONG"
    zh = "暂停采购活动最长 {maximum} 日，不能暂停 {days} 日（{citation}）"
    en = "A purchase may be suspended for at most {maximum} days, not {days} ({citation})"


class OutcomeNotApplicable(Conflict):
    code = "COMPLAINT_OUTCOME_NOT_APPLICABLE"
    zh = "采购项目当前为 {status}，不能{what}"
    en = "The project is {status}: it cannot {what_en}"


async def _project(ctx: Ctx, project_id: uuid.UUID) -> Project:
    p = await projects.locked(ctx.session, project_id)
    assert p is not None, "a complaint's project"  # the foreign key holds it
    return p


async def _set_suspension(ctx: Ctx, p: Project, until: date | None, action: str) -> None:
    """Change the project's suspension, audited on the project's own history. The days it stands
    still move its pending deadlines (signing within 30 days of the notice, 政府采购法 46, …)."""
    before = snapshot(p)
    shift = periods.suspended_days(p.suspended_until, until, ctx.today)
    p.deadlines = periods.shift_pending(p.deadlines, shift)
    p.suspended_until = until
    p.version += 1
    touch(p)
    await ctx.session.flush()
    await ctx.app.state.audit.record(
        ctx.session, PROJECTS, p, action, ctx.principal, before=before, reason=ctx.reason, row_locked=True
    )


async def _suspend(ctx: Ctx) -> None:
    c: Complaint = ctx.entity
    body: SuspendIn = ctx.payload
    ensure_handler(ctx.principal, c.finance_division)
    rule = rules_at(ctx.app.state, c.division_code, ctx.today).rule("suspension_days_max")
    # Counted from the first day this complaint suspended the purchase: suspended again after a
    # resumption, the whole stretch stays within the maximum.
    first = c.suspended_on or ctx.today
    until = ctx.today + timedelta(days=body.days - 1)
    days = (until - first).days + 1
    if days > rule.value:
        raise SuspensionTooLong(maximum=rule.value, days=days, citation=rule.cite)
    p = await _project(ctx, c.project_id)
    if p.status not in OPEN_PURCHASE:
        raise OutcomeNotApplicable(status=p.status, what="暂停采购活动", what_en="be suspended")
    c.suspended_on, c.suspended_until = first, until
    await _set_suspension(ctx, p, max(until, p.suspended_until or until), "project.suspended")


async def _lift(ctx: Ctx, c: Complaint, p: Project) -> None:
    if c.suspended_until is not None and p.suspended_until == c.suspended_until:
        await _set_suspension(ctx, p, None, "project.suspension_lifted")


async def _resume(ctx: Ctx) -> None:
    c: Complaint = ctx.entity
    ensure_handler(ctx.principal, c.finance_division)
    await _lift(ctx, c, await _project(ctx, c.project_id))
    c.suspended_until = min(c.suspended_until or ctx.today, ctx.today - timedelta(days=1))


async def _decide(ctx: Ctx, target: str | None, what: str, what_en: str) -> None:
    c: Complaint = ctx.entity
    ensure_handler(ctx.principal, c.finance_division)
    p = await _project(ctx, c.project_id)
    move = target is not None and p.status in LATER[target]
    if target is not None and not move and p.status not in OPEN_PURCHASE:
        raise OutcomeNotApplicable(status=p.status, what=what, what_en=what_en)
    authority = f"投诉处理决定（{c.id}）"
    await _lift(ctx, c, p)
    c.decision = ctx.reason
    c.decided_on = ctx.today
    ch = (
        await ctx.session.execute(select(Challenge.status).where(Challenge.id == c.challenge_id))
    ).scalar_one()
    if ch == "open":  # never answered: this decision answers it
        await follow(
            ctx,
            CHALLENGE,
            Challenge,
            c.challenge_id,
            "superseded",
            not_found=ChallengeNotFound,
            readable=PROJECTS.readable,
            authority=authority,
        )
    if move and target is not None:
        await follow(
            ctx,
            PROJECT,
            Project,
            c.project_id,
            target,
            not_found=ProjectNotFound,
            readable=PROJECTS.readable,
            authority=authority,
        )


async def _dismiss(ctx: Ctx) -> None:
    await _decide(ctx, None, "", "")


async def _uphold(ctx: Ctx) -> None:
    body: UpholdIn = ctx.payload
    ctx.entity.redo_from = body.redo_from
    await _decide(
        ctx, REDO_TARGET[body.redo_from], f"从 {body.redo_from} 重新进行", f"go back to {body.redo_from}"
    )


async def _void_award(ctx: Ctx) -> None:
    p = await _project(ctx, ctx.entity.project_id)
    if p.status != "awarded":
        raise OutcomeNotApplicable(
            status=p.status, what="认定成交结果无效", what_en="have its award declared void"
        )
    await _decide(ctx, "failed", "认定成交结果无效", "have its award declared void")


_DECISIONS = [
    ("dismissed", "dismiss", _dismiss, None, "投诉不成立，驳回；解除本投诉的暂停（政府采购法 56）"),
    (
        "upheld",
        "uphold",
        _uphold,
        UpholdIn,
        "投诉成立：项目回到所列环节重新进行（修改采购文件后重新公告、重新资格审查或重新评审）",
    ),
    (
        "award_void",
        "void_award",
        _void_award,
        None,
        "投诉成立且影响成交结果：认定成交结果无效，项目转为采购失败后重新采购",
    ),
]

MACHINE = Machine(
    AGGREGATE,
    "投诉",
    "filed",
    [
        t(
            "filed",
            "suspended",
            "suspend",
            FINANCE,
            _suspend,
            payload=SuspendIn,
            reason=True,
            doc="处理投诉期间书面通知暂停采购活动，最长 30 日（政府采购法 57）：其间不得确定成交、签订合同",
        ),
        t("suspended", "filed", "resume", FINANCE, _resume, reason=True, doc="提前解除暂停，继续处理投诉"),
        *[
            t(source, target, name, FINANCE, handler, payload=payload, reason=True, doc=doc)
            for source in ("filed", "suspended")
            for target, name, handler, payload, doc in _DECISIONS
        ],
    ],
)
