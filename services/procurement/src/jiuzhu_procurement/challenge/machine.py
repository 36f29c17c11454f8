"""The challenge's machine: the purchaser answers an open challenge, upheld or dismissed with
reasons (政府采购法 53); see `GET /workflows/challenge`."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_procurement.challenge.policy import AGGREGATE
from jiuzhu_procurement.workflow.machine import Ctx, Machine, t


async def _decide(ctx: Ctx) -> None:
    ctx.entity.decision = ctx.reason
    ctx.entity.decided_on = ctx.today


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
