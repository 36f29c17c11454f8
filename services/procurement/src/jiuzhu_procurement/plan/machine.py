"""The annual purchase plan's machine: submitted to finance, approved or sent back (see
`GET /workflows/plan`)."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_procurement.plan.policy import AGGREGATE
from jiuzhu_procurement.workflow.machine import Ctx, Machine, t


async def _approve(ctx: Ctx) -> None:
    ctx.entity.approved_by = ctx.principal.sub
    ctx.entity.approved_on = ctx.today
    ctx.entity.decision = ctx.reason


async def _reject(ctx: Ctx) -> None:
    ctx.entity.decision = ctx.reason


MACHINE = Machine(
    AGGREGATE,
    "年度购买计划",
    "draft",
    [
        t("draft", "submitted", "submit", [Role.BUREAU, Role.TOWNSHIP], doc="报财政审核"),
        t(
            "submitted",
            "approved",
            "approve",
            [Role.FINANCE],
            _approve,
            doc="财政批准（按程序报批后组织实施）",
        ),
        t("submitted", "rejected", "reject", [Role.FINANCE], _reject, reason=True, doc="财政退回"),
        t("rejected", "draft", "revise", [Role.BUREAU, Role.TOWNSHIP], doc="退回后修改"),
    ],
)
