"""Debarment as a due-process state machine.

report → the contractor may respond until the due date → the finance department decides
(政府采购法 77 and 政府采购法实施条例 68: the 财政部门 decides; 1–3 years; nationwide effect).
A decision before the response period has run is refused unless the contractor already responded.
Expiry is by date (`effective_until`), never by a job: "current" is computed when asked.
"""

from __future__ import annotations

from datetime import date, timedelta

from jiuzhu_kit.auth import Role, RoleForbidden
from jiuzhu_kit.clock import add_years
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.debarment.schemas import DecideIn, RespondIn
from jiuzhu_procurement.rulebook.book import rules_at
from jiuzhu_procurement.workflow.machine import Ctx, Machine, t

BUREAU, FINANCE, CONTRACTOR = Role.BUREAU, Role.FINANCE, Role.CONTRACTOR


class ResponsePeriodOpen(Conflict):
    code = "RESPONSE_PERIOD_OPEN"
    zh = "陈述申辩期未满（至 {due}），承接主体尚未答复，不能作出决定"
    en = "The response period runs until {due} and the contractor has not responded; no decision yet"


class DebarmentTermOutOfBand(Conflict):
    code = "DEBARMENT_TERM_OUT_OF_BAND"
    zh = "禁止参加政府采购活动的期限应为 {low} 至 {high} 年（{citation}）"
    en = "A debarment lasts {low} to {high} years ({citation})"


class DebarmentTermFixed(Conflict):
    code = "DEBARMENT_TERM_FIXED"
    zh = "情节严重的，禁入期限为 {years} 年（{citation}）"
    en = "A serious case is barred for {years} years ({citation})"


class ResponsePeriodOver(Conflict):
    code = "RESPONSE_PERIOD_OVER"
    zh = "陈述申辩期已于 {due} 届满"
    en = "The response period ended on {due}"


def term_end(start: date, years: int) -> date:
    """The last day (inclusive) of a term of `years` starting on `start`."""
    return add_years(start, years) - timedelta(days=1)


async def respond(ctx: Ctx) -> None:
    d = ctx.entity
    # Only the contractor concerned answers its own case.
    if ctx.principal.org != d.uscc and not ctx.principal.has(Role.ADMIN):
        raise RoleForbidden()
    if ctx.today > d.response_due_on:
        raise ResponsePeriodOver(due=d.response_due_on.isoformat())
    d.response = ctx.payload.response
    d.responded_on = ctx.today


async def decide_debar(ctx: Ctx) -> None:
    d = ctx.entity
    if d.status == "reported" and ctx.today <= d.response_due_on:
        raise ResponsePeriodOpen(due=d.response_due_on.isoformat())
    body: DecideIn = ctx.payload
    start = body.effective_from or ctx.today
    at = rules_at(ctx.app.state, d.division_code, start)
    low, high = at.rule("debarment_years_min"), at.rule("debarment_years_max")
    if not low.value <= body.term_years <= high.value:
        raise DebarmentTermOutOfBand(low=low.value, high=high.value, citation=high.cite)
    # A region may fix the term for serious cases (Fujian: 3 years, seed 001 一(七)).
    fixed = at.get("debarment_years_serious") if body.serious else None
    if fixed is not None and body.term_years != fixed.value:
        raise DebarmentTermFixed(years=fixed.value, citation=fixed.cite)
    d.term_years = body.term_years
    d.effective_from = start
    d.effective_until = term_end(start, body.term_years)
    d.fine_amount = body.fine_amount
    d.decision = ctx.reason
    d.decided_by = ctx.principal.sub


async def decide_clear(ctx: Ctx) -> None:
    d = ctx.entity
    if d.status == "reported" and ctx.today <= d.response_due_on:
        raise ResponsePeriodOpen(due=d.response_due_on.isoformat())
    d.decision = ctx.reason
    d.decided_by = ctx.principal.sub


async def revoke(ctx: Ctx) -> None:
    ctx.entity.decision = ctx.reason
    ctx.entity.decided_by = ctx.principal.sub


MACHINE = Machine(
    "debarment",
    "禁止参加政府采购案件",
    "reported",
    [
        t(
            "reported",
            "responded",
            "respond",
            [CONTRACTOR],
            respond,
            payload=RespondIn,
            doc="承接主体在陈述申辩期内答复",
        ),
        t(
            "reported",
            "debarred",
            "debar",
            [FINANCE],
            decide_debar,
            payload=DecideIn,
            reason=True,
            doc="申辩期届满未答复，财政部门决定禁止 1–3 年",
        ),
        t(
            "responded",
            "debarred",
            "debar",
            [FINANCE],
            decide_debar,
            payload=DecideIn,
            reason=True,
            doc="听取申辩后决定禁止 1–3 年",
        ),
        t("reported", "cleared", "clear", [FINANCE], decide_clear, reason=True, doc="不予处罚"),
        t("responded", "cleared", "clear", [FINANCE], decide_clear, reason=True, doc="申辩成立，不予处罚"),
        t("debarred", "revoked", "revoke", [FINANCE], revoke, reason=True, doc="复议或诉讼撤销决定"),
    ],
)
BUREAU_REPORTERS = (BUREAU, FINANCE)
