"""The challenge's machine: the purchaser answers an open challenge, upheld or dismissed with
reasons (政府采购法 53), late or not (the answer records its day against `reply_due`); a complaint's
decision takes the place of an answer never given (superseded); see `GET /workflows/challenge`."""

from __future__ import annotations

from sqlalchemy import select

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.challenge.policy import AGGREGATE
from jiuzhu_procurement.complaint.models import Complaint
from jiuzhu_procurement.workflow.machine import Ctx, Machine, t


class NoComplaint(Conflict):
    code = "CHALLENGE_NOT_UNDER_COMPLAINT"
    zh = "只有已被投诉的质疑才由财政部门的处理决定取代"
    en = "Only a challenge under complaint is superseded by finance's decision"


async def _decide(ctx: Ctx) -> None:
    ctx.entity.decision = ctx.reason
    ctx.entity.decided_on = ctx.today


async def _supersede(ctx: Ctx) -> None:
    complaint = (
        await ctx.session.execute(select(Complaint.id).where(Complaint.challenge_id == ctx.entity.id))
    ).first()
    if complaint is None:
        raise NoComplaint()
    await _decide(ctx)


MACHINE = Machine(
    AGGREGATE,
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
            doc="质疑成立：项目重新评审或重新采购（答复全文为理由）",
        ),
        t(
            "open",
            "dismissed",
            "dismiss",
            [Role.BUREAU, Role.TOWNSHIP],
            _decide,
            reason=True,
            doc="质疑不成立（答复全文为理由）",
        ),
        t(
            "open",
            "superseded",
            "supersede",
            [Role.FINANCE],
            _supersede,
            reason=True,
            doc="采购人未答复，由财政部门的投诉处理决定取代（政府采购法 56）",
        ),
    ],
)
