"""What project transitions do to the contract: sign, end, take over (called from project handlers)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select

from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.debarment.service import ensure_not_debarred
from jiuzhu_procurement.project.models import Project
from jiuzhu_procurement.workflow.machine import Ctx, snapshot


class ContractMissing(Conflict):
    code = "CONTRACT_MISSING"
    zh = "尚未拟定合同，请先提交合同文本"
    en = "No draft contract yet; submit the contract first"


def scheduled_payment(c: Contract, line: dict[str, Any]) -> Payment:
    """One line of the contract's schedule as a payment waiting for its gate (a line written before
    gates existed is gated by the evaluation, unscaled, as it always was)."""
    amount = Decimal(str(line["amount"]))
    return Payment(
        contract_id=c.id,
        division_code=c.division_code,
        period=line["period"],
        amount=amount,
        scheduled_amount=amount,
        gate=line.get("gate") or "evaluation",
        scale_by_grade=bool(line.get("scale_by_grade")),
        due_on=date.fromisoformat(line["due_on"]),
        status="scheduled",
    )


async def _contract(ctx: Ctx, p: Project) -> Contract | None:
    if p.contract_id is None:
        return None
    return (
        await ctx.session.execute(select(Contract).where(Contract.id == p.contract_id).with_for_update())
    ).scalar_one_or_none()


def _event(ctx: Ctx, c: Contract, action: str, before: dict[str, Any]) -> None:
    ctx.extra_events.append(
        {
            "aggregate_type": "contract",
            "aggregate_id": c.id,
            "action": action,
            "data": snapshot(c),
            "before": before,
            "reason": ctx.reason,
            "jurisdiction": c.division_code,
        }
    )


async def sign(ctx: Ctx, p: Project) -> None:
    c = await _contract(ctx, p)
    if c is None or c.status != "draft":
        raise ContractMissing()
    await ensure_not_debarred(ctx.session, c.contractor_uscc, ctx.today)
    before = snapshot(c)
    longest = max((d["working_days"] for d in c.deadlines), default=0)
    cal = await ctx.app.state.calendar_store.load(
        ctx.session, ctx.today, ctx.today + timedelta(days=longest * 2 + 60)
    )
    c.deadlines = [
        {**d, "due_on": cal.add_working_days(ctx.today, d["working_days"]).isoformat(), "fulfilled_on": None}
        for d in c.deadlines
    ]
    for line in c.payment_schedule:
        ctx.session.add(scheduled_payment(c, line))
    c.status = "signed"
    c.signed_on = ctx.today
    c.version += 1
    await ctx.session.flush()
    _event(ctx, c, "contract.signed", before)


async def end(ctx: Ctx, p: Project, status: str) -> None:
    c = await _contract(ctx, p)
    if status == "terminated":
        p.outcome = {**(p.outcome or {}), "terminated": {"on": ctx.today.isoformat(), "reason": ctx.reason}}
    if c is None or c.status != "signed":
        return
    before = snapshot(c)
    c.status = status
    c.ended_on = ctx.today
    c.version += 1
    await ctx.session.flush()
    _event(ctx, c, f"contract.{status}", before)


async def take_over(ctx: Ctx, p: Project, body: Any) -> None:
    """Activate the takeover plan: record who takes over and open the re-procurement."""
    c = await _contract(ctx, p)
    record: dict[str, Any] = {"by": body.taken_over_by, "on": ctx.today.isoformat(), "reason": ctx.reason}
    if c is not None:
        before = snapshot(c)
        record["plan"] = c.takeover_plan
        c.takeover = record
        c.status = "taken_over"
        c.ended_on = c.ended_on or ctx.today
        c.version += 1
        await ctx.session.flush()
        _event(ctx, c, "contract.taken_over", before)
    if body.reprocure:
        new = Project(
            plan_id=p.plan_id,
            division_code=p.division_code,
            title=f"{p.title}（重新采购）",
            purchase_form=p.purchase_form,
            items=list(p.items),
            quantity=p.quantity,
            budget=body.reprocurement_budget or p.budget,
            funding_source=p.funding_source,
            declared_on=ctx.today,
            status="declared",
            replaces_project_id=p.id,
            created_by=ctx.principal.sub,
        )
        ctx.session.add(new)
        await ctx.session.flush()
        record["reprocurement_project_id"] = str(new.id)
        ctx.extra_events.append(
            {
                "aggregate_type": "project",
                "aggregate_id": new.id,
                "action": "project.declared",
                "data": snapshot(new),
                "reason": f"临时接管后重新采购（替代 {p.id}）",
                "jurisdiction": new.division_code,
            }
        )
    p.outcome = {**(p.outcome or {}), "taken_over": record}


async def discard_draft(ctx: Ctx, p: Project) -> None:
    c = await _contract(ctx, p)
    if c is not None and c.status == "draft":
        before = snapshot(c)
        c.status = "discarded"
        c.version += 1
        await ctx.session.flush()
        _event(ctx, c, "contract.discarded", before)
        await ctx.session.execute(delete(Payment).where(Payment.contract_id == c.id))
    p.contract_id = None
