"""The project workflow table (闽民保〔2018〕58号 一(四): 项目申报、项目审定、组织采购、资质审核、合同签订、
履约监管、绩效评估; seed 003 三(五)). One named handler per legal (from, to); handlers hold the rules."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from jiuzhu_kit import clock
from jiuzhu_kit.auth import Role
from jiuzhu_kit.documents.api import open_sealed
from jiuzhu_kit.documents.sealed import FileSealer
from jiuzhu_kit.errors import Conflict, FieldError, ValidationFailed
from jiuzhu_kit.money import percent
from jiuzhu_kit.rules.book import Rule
from jiuzhu_procurement.catalogue import service as catalogue
from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.contract import lifecycle
from jiuzhu_procurement.debarment.service import ensure_not_debarred
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.plan.repository import committed
from jiuzhu_procurement.project import methods, periods, repository, sealing
from jiuzhu_procurement.project.models import Bid, Project
from jiuzhu_procurement.project.schemas import AnnounceIn, MethodChangeIn, TakeoverIn
from jiuzhu_procurement.rulebook.book import rules_at
from jiuzhu_procurement.workflow.machine import Ctx, Machine, t

PURCHASER = (Role.BUREAU, Role.TOWNSHIP)
NATIONAL = "000000"  # the national packs' jurisdiction
FINANCE = (Role.FINANCE,)


class MethodNotAllowed(Conflict):
    code = "PROCUREMENT_METHOD_NOT_ALLOWED"
    zh = "采购方式不符合规定：{reasons}"
    en = "The procurement method is not allowed: {reasons_en}"

    def extra(self) -> dict[str, object]:
        return {"refusals": self.params.get("refusals", [])}


class ThresholdUnverified(Conflict):
    code = "THRESHOLD_CONFIRMATION_REQUIRED"
    zh = (
        "当地公开招标数额标准 {local} 元未经核实（{citation}），而按全国标准 {national} 元结果不同："
        "请核对当地文件并在 threshold_confirmation 中注明"
    )
    en = (
        "The local open-tender amount {local} is unverified ({citation}) and the national {national} "
        "would decide otherwise: check the local document and name it in threshold_confirmation"
    )


class PlanNotApproved(Conflict):
    code = "PLAN_NOT_APPROVED"
    zh = "年度购买计划尚未经财政批准"
    en = "The annual purchase plan is not approved by finance"


class BudgetExceeded(Conflict):
    code = "BUDGET_EXCEEDED"
    zh = "{source} 预算余额 {remaining} 元不足以安排 {budget} 元"
    en = "{source}: remaining {remaining} cannot cover {budget}"


async def ensure_budget(
    session: AsyncSession,
    plan: PurchasePlan,
    source: str,
    budget: Decimal,
    exclude: uuid.UUID | None = None,
) -> None:
    """BudgetExceeded unless the plan's line for `source`, less what its other live projects commit
    (all but `exclude`), covers `budget`; no line means nothing remains."""
    line = next((b for b in plan.budget_lines if b["funding_source"] == source), None)
    remaining = (
        Decimal(line["amount"]) - (await committed(session, plan.id, exclude=exclude)).get(source, Decimal(0))
        if line
        else Decimal(0)
    )
    if budget > remaining:
        raise BudgetExceeded(source=source, remaining=str(remaining), budget=str(budget))


class PriceWeightOutOfRange(Conflict):
    code = "PRICE_WEIGHT_OUT_OF_RANGE"
    zh = "服务项目价格分值占比应在 {floor}% 至 {ceiling}% 之间，且与历史评价分值合计低于 100%（{citation}）"
    en = "The price weight for services must be between {floor}% and {ceiling}%, and below 100% with the history weight ({citation})"


class SmeDeductionOutOfBand(Conflict):
    code = "SME_DEDUCTION_OUT_OF_BAND"
    zh = "小微企业价格扣除比例应在 {low}% 至 {high}% 之间（{on} 有效：{citation}）"
    en = "The small-enterprise price deduction must be between {low}% and {high}% (in force on {on}: {citation})"


class SuppliersInsufficient(Conflict):
    code = "SUPPLIERS_INSUFFICIENT"
    zh = "合格供应商 {qualified} 家，少于{method}要求的 {minimum} 家（{citation}）：应转为采购失败"
    en = "{qualified} qualified suppliers, fewer than the {minimum} {method} needs ({citation}): the procurement fails"


class SuppliersSufficient(Conflict):
    code = "SUPPLIERS_SUFFICIENT"
    zh = "合格供应商 {qualified} 家已满足要求，不能以供应商不足为由判定失败"
    en = "{qualified} qualified suppliers meet the minimum; the procurement cannot fail for lack of suppliers"


class ReviewIncomplete(Conflict):
    code = "QUALIFICATION_REVIEW_INCOMPLETE"
    zh = "尚有 {pending} 份响应文件未完成资格审查"
    en = "{pending} bids still await the qualification review"


class NotAwardable(Conflict):
    code = "NOT_AWARDABLE"
    zh = "尚不能确定成交：{why}"
    en = "No award yet: {why_en}"


class AwardHeld(Conflict):
    code = "AWARD_HELD"
    zh = "有未处理的质疑（{open} 件），中标结果暂停，不得签订合同（政府采购法 52–57）"
    en = "{open} open challenge(s) hold the award; the contract cannot be signed (政府采购法 52–57)"


class PeriodTooShort(Conflict):
    code = "PERIOD_TOO_SHORT"
    zh = "{method}的响应文件截止之日最早为 {earliest}（{why}），不能定为 {deadline}（{citation}）"
    en = "{method_en}: the earliest response deadline is {earliest} ({why_en}), not {deadline} ({citation})"

    def extra(self) -> dict[str, object]:
        return {"earliest_deadline": self.params.get("earliest"), "citation": self.params.get("citation")}


class ResponseDeadlineNotReached(Conflict):
    code = "RESPONSE_DEADLINE_NOT_REACHED"
    zh = "响应文件截止之日为 {deadline}，此前不得截止递交（{citation}）"
    en = "The response deadline is {deadline}; bidding cannot close before it ({citation})"


class DeadlineNotLater(Conflict):
    code = "DEADLINE_NOT_LATER"
    zh = "截止之日只能延长：现为 {current}，{asked} 不晚于它（缩短期限不得低于法定最短期限，已发布的截止之日不得提前）"
    en = "The response deadline can only be extended: it is {current}, and {asked} is not later"


class ProcurementSuspended(Conflict):
    code = "PROCUREMENT_SUSPENDED"
    zh = "财政部门处理投诉期间暂停采购活动至 {until}（含），其间不得{what}（{citation}）"
    en = "Finance has suspended the purchase until {until} while it handles a complaint: no {what_en} ({citation})"


class PublicityRunning(Conflict):
    code = "SINGLE_SOURCE_PUBLICITY_RUNNING"
    zh = "单一来源采购公示期至 {ends} 届满，届满前不得确定成交（{citation}）"
    en = "The single-source publicity runs until {ends}; no award before it ends ({citation})"


def ensure_not_suspended(ctx: Ctx, p: Project, what: str, what_en: str) -> None:
    """ProcurementSuspended while a finance suspension covers today (政府采购法 57)."""
    if p.suspended_until is not None and ctx.today <= p.suspended_until:
        rule = rules_at(ctx.app.state, p.division_code, ctx.today).get("suspension_days_max")
        raise ProcurementSuspended(
            until=p.suspended_until.isoformat(),
            what=what,
            what_en=what_en,
            citation=rule.cite if rule else "政府采购法 第五十七条",
        )


def touch(p: Project) -> None:
    """Set `updated_at` for a write through the ORM, always in the UPDATE: left to the column's SQL
    default (also when the value is unchanged, e.g. two writes at one X-Jiuzhu-Clock instant) it
    would be expired by the flush, and reading it for the audit snapshot would need I/O."""
    p.updated_at = clock.now()
    flag_modified(p, "updated_at")


async def _plan_checks(ctx: Ctx, p: Project, require_approved: bool) -> None:
    plan = (await ctx.session.execute(select(PurchasePlan).where(PurchasePlan.id == p.plan_id))).scalar_one()
    if require_approved and plan.status != "approved":
        raise PlanNotApproved()
    await ensure_budget(ctx.session, plan, p.funding_source, p.budget, exclude=p.id)


async def approve(ctx: Ctx) -> None:
    p: Project = ctx.entity
    await _plan_checks(ctx, p, require_approved=True)
    # Judged by the rules in force on the declaration date (rulebook: catalogue, negative list).
    catalogue.ensure_lawful(rules_at(ctx.app.state, p.division_code, p.declared_on), p.purchase_form, p.items)
    p.approved_on = ctx.today


async def _related_total(ctx: Ctx, p: Project) -> Decimal:
    """This budget plus the purchaser's other live projects that year buying any of the same items."""
    others = (
        await ctx.session.execute(
            select(Project.budget, Project.items).where(
                Project.division_code == p.division_code,
                Project.id != p.id,
                func.extract("year", Project.declared_on) == p.declared_on.year,
                Project.status.not_in(("cancelled", "failed")),
            )
        )
    ).all()
    return p.budget + sum((b for b, items in others if set(items) & set(p.items)), Decimal(0))


def check_scoring_rules(ctx: Ctx, p: Project, body: AnnounceIn) -> dict[str, Any]:
    """The price weight and the small-enterprise deduction against the rules in force on the
    announcement date (rulebook/data); returns what was applied, with its clauses."""
    at = rules_at(ctx.app.state, p.division_code, ctx.today)
    floor = at.rule("price_weight_min")
    top = at.get("price_weight_max")  # a bureau's own ceiling, where its local pack sets one
    low, high = at.rule("sme_price_deduction_min"), at.rule("sme_price_deduction_max")
    ceiling = top.value * 100 if top else Decimal(100)
    sc = body.scoring
    if not (floor.value * 100 <= sc.price_weight <= ceiling) or sc.price_weight + sc.history_weight >= 100:
        raise PriceWeightOutOfRange(
            floor=percent(floor.value),
            ceiling=percent(top.value) if top else "100",
            citation=floor.cite + (f"; {top.cite}" if top else ""),
        )
    if not (low.value * 100 <= sc.sme_deduction_percent <= high.value * 100):
        raise SmeDeductionOutOfBand(
            low=percent(low.value), high=percent(high.value), on=ctx.today.isoformat(), citation=high.cite
        )
    return {
        "price_weight_min": {"percent": percent(floor.value), "citation": floor.cite},
        **({"price_weight_max": {"percent": percent(top.value), "citation": top.cite}} if top else {}),
        "sme_price_deduction": {
            "percent": str(sc.sme_deduction_percent),
            "band": [percent(low.value), percent(high.value)],
            "citation": high.cite,
        },
    }


def _confirm_threshold(
    ctx: Ctx, p: Project, body: AnnounceIn, local: catalogue.Threshold | None, related: Decimal
) -> str | None:
    """An unverified local threshold is applied only once the purchaser confirmed it, and asked
    for only where it decides (catalogue.decided_by_guess); the confirmation is recorded."""
    if body.method == "open_tender" or body.approval:
        return None
    national = catalogue.threshold(rules_at(ctx.app.state, NATIONAL, p.declared_on), "open_tender")
    if not catalogue.decided_by_guess(local, national, related):
        return None
    if not body.threshold_confirmation:
        assert local is not None and national is not None
        raise ThresholdUnverified(
            local=str(local.amount), national=str(national.amount), citation=local.citation
        )
    return body.threshold_confirmation


async def announce(ctx: Ctx) -> None:
    p: Project = ctx.entity
    body: AnnounceIn = ctx.payload
    used = check_scoring_rules(ctx, p, body)
    threshold = catalogue.threshold(rules_at(ctx.app.state, p.division_code, p.declared_on), "open_tender")
    related = await _related_total(ctx, p)
    confirmation = _confirm_threshold(ctx, p, body, threshold, related)
    refusals = methods.check_method(
        rules_at(ctx.app.state, p.division_code, ctx.today),
        method=body.method,
        budget=p.budget,
        open_tender_threshold=threshold.amount if threshold else None,
        ground=body.ground,
        approval=body.approval,
        publicity_working_days=body.publicity_working_days,
        related_total=related,
    )
    if refusals:
        raise MethodNotAllowed(
            reasons="；".join(f"{r.zh}（{r.citation}）" for r in refusals),
            reasons_en="; ".join(f"{r.en} ({r.citation})" for r in refusals),
            refusals=[r.__dict__ for r in refusals],
        )
    details = body.model_dump(mode="json", exclude={"scoring"})
    details["method_zh"] = methods.ZH[body.method]
    details["ground_citation"] = methods.ground_citation(
        rules_at(ctx.app.state, p.division_code, ctx.today), body.method, body.ground
    )
    details["rules"] = used
    details["threshold"] = (
        {
            "amount": str(threshold.amount),
            "citation": threshold.citation,
            "verified": threshold.verified,
            **({"confirmed_by": confirmation} if confirmation else {}),
        }
        if threshold
        else None
    )
    issued, deadline = _period_dates(ctx, body)
    cal = await ctx.app.state.calendar_store.load(
        ctx.session, ctx.today, max(issued, deadline or issued) + periods.CALENDAR_SPAN
    )
    publicity_ends: date | None = None
    if body.method == "single_source":
        publicity_ends = cal.add_working_days(ctx.today, body.publicity_working_days or 0)
        details["publicity_ends_on"] = publicity_ends.isoformat()
    at = rules_at(ctx.app.state, p.division_code, ctx.today)
    period = periods.response_period(at, cal, body.method, issued, publicity_ends)
    # Unless the announcement names one, the earliest lawful deadline, on a working day.
    deadline = deadline or periods.next_working_day(cal, period.earliest)
    if deadline < period.earliest:
        assert period.rule is not None  # without a rule the earliest deadline is the issue day
        span, span_en = periods.span_zh(period.rule), periods.span_en(period.rule)
        if publicity_ends is not None:
            why = f"公示期 {span}，于 {publicity_ends.isoformat()} 届满后方可继续采购"
            why_en = f"a publicity of {span_en} ending on {publicity_ends.isoformat()} comes first"
        else:
            why = f"自采购文件发出之日 {issued.isoformat()} 起不得少于 {span}"
            why_en = f"at least {span_en} from the documents issued on {issued.isoformat()}"
        raise PeriodTooShort(
            method=methods.ZH[body.method],
            method_en=body.method,
            why=why,
            why_en=why_en,
            earliest=period.earliest.isoformat(),
            deadline=deadline.isoformat(),
            citation=period.rule.cite,
        )
    details["period"] = period.as_dict(deadline)
    if p.announced_on is not None:
        p.round += 1  # re-procurement: a new round of bids
    p.documents_issued_on, p.response_deadline = issued, deadline
    p.deadlines = []
    p.method = body.method
    p.method_details = details
    p.scoring_params = body.scoring.model_dump(mode="json")
    p.scoring = None
    p.opening = None  # the new round's bids are sealed until its own opening
    p.announced_on = ctx.today


# How far ahead an announcement may set its dates (a typo of a year is refused, not stored).
HORIZON = timedelta(days=366)


def _period_dates(ctx: Ctx, body: AnnounceIn) -> tuple[date, date | None]:
    """The documents-issued day (the announcement day unless later) and the asked deadline."""
    issued = body.documents_issued_on or ctx.today
    errors = []
    if issued < ctx.today:
        errors.append(
            FieldError(
                pointer="#/data/documents_issued_on",
                code="BEFORE_ANNOUNCEMENT",
                detail=f"采购文件发出之日不能早于公告之日 {ctx.today.isoformat()}",
            )
        )
    elif issued > ctx.today + HORIZON:
        errors.append(
            FieldError(pointer="#/data/documents_issued_on", code="TOO_FAR", detail="采购文件发出之日过远")
        )
    deadline = body.response_deadline
    if not errors and deadline is not None and deadline > issued + HORIZON:
        errors.append(
            FieldError(pointer="#/data/response_deadline", code="TOO_FAR", detail="响应文件截止之日过远")
        )
    if errors:
        raise ValidationFailed(errors)
    return issued, deadline


async def close_bidding(ctx: Ctx) -> None:
    """Bidding closes on or after the response deadline the announcement set, never before; then
    the bids are opened."""
    p: Project = ctx.entity
    if p.response_deadline is not None and ctx.today < p.response_deadline:
        period = (p.method_details or {}).get("period") or {}
        raise ResponseDeadlineNotReached(
            deadline=p.response_deadline.isoformat(), citation=period.get("citation") or "—"
        )
    await open_bids(ctx)


OPENING_CITATION = "财政部令第87号 39–41"


async def open_bids(ctx: Ctx) -> None:
    """The opening (开标) at the close of bidding: every live bid of the round is unsealed and its
    bidder and price stored in clear; the opening record (who bid, prices read out, each commitment
    and its salt) becomes the project's `opening`, in the event of this transition. Withdrawn bids
    are not opened (财政部令第87号 34): they are only counted."""
    p: Project = ctx.entity
    rows = await repository.round_bids(ctx.session, p.id, p.round, lock=True)
    live = [b for b in rows if b.withdrawn_at is None]
    key = None
    if any(b.sealed is not None for b in live):
        key = await repository.data_key(ctx.session, ctx.app.state.bid_keys, p.id)
    now = clock.now()
    read_out = []
    for b in live:
        entry: dict[str, Any] = {}
        if b.sealed is not None:
            assert key is not None, "a sealed bid without its project's key"
            c = key.unseal(b.id, b.sealed)
            b.contractor_id = uuid.UUID(c["contractor_id"])
            b.uscc, b.contractor_name = c["uscc"], c["contractor_name"]
            b.price, b.small_enterprise, b.proposal = (
                Decimal(c["price"]),
                c["small_enterprise"],
                c["proposal"],
            )
            b.sealed = None
            entry = {
                "proposal_sha256": sealing.proposal_digest(b.proposal),
                "salt": c["salt"],
                "commitment": b.commitment,
                "submitted_by": c["submitted_by"],
            }
        b.opened_at = now
        read_out.append(
            {
                "bid_id": str(b.id),
                "uscc": b.uscc,
                "name": b.contractor_name,
                "price": str(b.price),
                "small_enterprise": b.small_enterprise,
                "submitted_at": b.submitted_at.isoformat(),
                **entry,
            }
        )
    await ctx.session.flush()
    if key is not None:  # the bids' files, sealed at rest like their prices, are opened with them
        await open_sealed(
            ctx.app.state.documents, ctx.session, "bid", [str(b.id) for b in live], FileSealer(key.file_key())
        )
    p.opening = {
        "round": p.round,
        "opened_at": now.isoformat(),
        "opened_by": ctx.principal.sub,
        "bids": read_out,
        "withdrawn": len(rows) - len(live),
        "citation": OPENING_CITATION,
    }


async def _qualified_count(ctx: Ctx, p: Project) -> tuple[int, int]:
    rows = (
        await ctx.session.execute(
            select(Bid.qualified).where(
                Bid.project_id == p.id, Bid.round == p.round, Bid.withdrawn_at.is_(None)
            )
        )
    ).all()
    return sum(1 for (q,) in rows if q), sum(1 for (q,) in rows if q is None)


def _min_suppliers(ctx: Ctx, p: Project) -> Rule:
    """As in force when the project was announced (the rules a bidder relied on)."""
    return methods.min_suppliers(
        rules_at(ctx.app.state, p.division_code, p.announced_on or ctx.today), p.method or ""
    )


async def start_scoring(ctx: Ctx) -> None:
    p: Project = ctx.entity
    qualified, pending = await _qualified_count(ctx, p)
    if pending:
        raise ReviewIncomplete(pending=pending)
    need = _min_suppliers(ctx, p)
    if qualified < need.value:
        raise SuppliersInsufficient(
            qualified=qualified,
            minimum=need.value,
            method=methods.ZH.get(p.method or "", ""),
            citation=need.cite,
        )


async def fail(ctx: Ctx) -> None:
    p: Project = ctx.entity
    qualified, pending = await _qualified_count(ctx, p)
    need = _min_suppliers(ctx, p)
    if ctx.entity.status == "qualification_review":
        if pending:
            raise ReviewIncomplete(pending=pending)
        if qualified >= need.value:
            raise SuppliersSufficient(qualified=qualified)
    if p.status == "awarded":
        _clear_award(p)  # the award is void: its deadlines go with it (the history keeps them)
    p.outcome = {
        "failed": {
            "round": p.round,
            "qualified": qualified,
            "minimum": need.value,
            "citation": need.cite,
            "on": ctx.today.isoformat(),
            "reason": ctx.reason,
        }
    }


async def change_method(ctx: Ctx) -> None:
    body: MethodChangeIn = ctx.payload
    p: Project = ctx.entity
    p.method_details = {**(p.method_details or {}), "method_change_approval": body.approval}


async def award(ctx: Ctx) -> None:
    p: Project = ctx.entity
    s = p.scoring or {}
    if not s.get("ranking"):
        raise NotAwardable(why="尚未评分", why_en="no scores recorded")
    if s.get("pending_explanations"):
        raise NotAwardable(why="存在待说明的异常低价", why_en="an abnormally low bid awaits its explanation")
    winner = next((r for r in s["ranking"] if r.get("rank") == 1), None)
    if winner is None:
        raise NotAwardable(why="没有有效投标", why_en="no valid bid")
    ensure_not_suspended(ctx, p, "确定成交", "award")
    at = rules_at(ctx.app.state, p.division_code, ctx.today)
    publicity_ends = (p.method_details or {}).get("publicity_ends_on")
    if p.method == "single_source" and publicity_ends and ctx.today <= date.fromisoformat(publicity_ends):
        raise PublicityRunning(ends=publicity_ends, citation=at.rule("single_source_publicity_min").cite)
    await ensure_not_debarred(ctx.session, winner["uscc"], ctx.today)
    cal = await ctx.app.state.calendar_store.load(ctx.session, ctx.today, ctx.today + periods.CALENDAR_SPAN)
    p.awarded_bid_id = uuid.UUID(winner["bid_id"])
    p.awarded_uscc = winner["uscc"]
    p.awarded_amount = Decimal(winner["price"])
    p.awarded_on = ctx.today
    window = at.rule("challenge_working_days")
    p.challenge_deadline = cal.add_working_days(ctx.today, window.value)
    p.deadlines = periods.after_award(at, cal, ctx.today)


def _clear_award(p: Project) -> None:
    p.awarded_bid_id = p.awarded_uscc = p.awarded_amount = p.awarded_on = p.challenge_deadline = None
    p.deadlines = []


async def reopen_scoring(ctx: Ctx) -> None:
    p: Project = ctx.entity
    _clear_award(p)
    if p.contract_id is not None:
        await lifecycle.discard_draft(ctx, p)


def _redone(ctx: Ctx, p: Project, step: str) -> None:
    record = {"from": p.status, "step": step, "on": ctx.today.isoformat(), "reason": ctx.reason}
    p.outcome = {**(p.outcome or {}), "redone": [*(p.outcome or {}).get("redone", []), record]}


async def redo_from_announcement(ctx: Ctx) -> None:
    """Back to before the announcement: the purchaser corrects the documents and announces again,
    with a new period and a new round of bids (an upheld challenge or complaint on the documents)."""
    p: Project = ctx.entity
    _redone(ctx, p, "announcement")
    _clear_award(p)
    p.scoring = None
    if p.contract_id is not None:
        await lifecycle.discard_draft(ctx, p)


async def redo_qualification_review(ctx: Ctx) -> None:
    """The qualification review again: this round's reviews, scores and explanations are cleared."""
    p: Project = ctx.entity
    _redone(ctx, p, "qualification_review")
    _clear_award(p)
    p.scoring = None
    if p.contract_id is not None:
        await lifecycle.discard_draft(ctx, p)
    await ctx.session.execute(
        update(Bid)
        .where(Bid.project_id == p.id, Bid.round == p.round)
        .values(qualified=None, qualification_note=None, explanation=None, explanation_accepted=None)
    )


async def sign(ctx: Ctx) -> None:
    p: Project = ctx.entity
    open_ = (
        await ctx.session.execute(
            select(func.count()).where(Challenge.project_id == p.id, Challenge.status == "open")
        )
    ).scalar_one()
    if open_:
        raise AwardHeld(open=open_)
    ensure_not_suspended(ctx, p, "签订合同", "signing")
    await lifecycle.sign(ctx, p)
    cal = await ctx.app.state.calendar_store.load(ctx.session, ctx.today, ctx.today + periods.CALENDAR_SPAN)
    at = rules_at(ctx.app.state, p.division_code, ctx.today)
    p.deadlines = periods.on_signing(at, cal, list(p.deadlines or []), ctx.today)


async def end_contract(ctx: Ctx) -> None:
    await lifecycle.end(ctx, ctx.entity, "terminated")


async def take_over(ctx: Ctx) -> None:
    body: TakeoverIn = ctx.payload
    await lifecycle.take_over(ctx, ctx.entity, body)


async def close(ctx: Ctx) -> None:
    p: Project = ctx.entity
    if p.status == "final_evaluation":
        await lifecycle.end(ctx, p, "completed")


_CANCEL_DOC = "撤销采购（须说明理由）"
MACHINE = Machine(
    "project",
    "采购项目",
    "declared",
    [
        t(
            "declared",
            "approved",
            "approve",
            FINANCE,
            approve,
            doc="财政审核立项：计划已批准、预算余额足够、按申报日规则合法",
        ),
        t("declared", "cancelled", "cancel", PURCHASER + FINANCE, reason=True, doc=_CANCEL_DOC),
        t(
            "approved",
            "announced",
            "announce",
            PURCHASER,
            announce,
            payload=AnnounceIn,
            doc="发布采购公告并确定采购方式（政府采购法 26–32）",
        ),
        t("approved", "cancelled", "cancel", PURCHASER, reason=True, doc=_CANCEL_DOC),
        t(
            "announced",
            "bidding_closed",
            "close_bidding",
            PURCHASER,
            close_bidding,
            doc="截止递交响应文件（不早于公告确定的截止之日）并开标：拆封、宣读投标人名称和报价（财政部令第87号 39–41）；此前报价与投标人均密封",
        ),
        t("announced", "cancelled", "cancel", PURCHASER, reason=True, doc=_CANCEL_DOC),
        t("bidding_closed", "qualification_review", "start_qualification_review", PURCHASER, doc="资格审查"),
        t("bidding_closed", "failed", "fail", PURCHASER, fail, reason=True, doc="无人响应"),
        t(
            "qualification_review",
            "scoring",
            "start_scoring",
            PURCHASER,
            start_scoring,
            doc="合格供应商达到法定家数后评审",
        ),
        t(
            "qualification_review",
            "failed",
            "fail",
            PURCHASER,
            fail,
            reason=True,
            doc="合格供应商不足（磋商购买服务 2 家可继续，1 家终止）",
        ),
        t("failed", "announced", "reprocure", PURCHASER, announce, payload=AnnounceIn, doc="重新组织采购"),
        t(
            "failed",
            "approved",
            "change_method",
            FINANCE,
            change_method,
            payload=MethodChangeIn,
            reason=True,
            doc="经财政批准变更采购方式",
        ),
        t("failed", "cancelled", "cancel", PURCHASER, reason=True, doc=_CANCEL_DOC),
        t(
            "scoring",
            "awarded",
            "award",
            PURCHASER,
            award,
            doc="确定成交（单一来源：公示期满后；暂停期间不得）；质疑期 7 个工作日（政府采购法 52）",
        ),
        t(
            "awarded",
            "scoring",
            "reopen_scoring",
            PURCHASER,
            reopen_scoring,
            reason=True,
            doc="质疑成立，重新评审",
        ),
        t("awarded", "failed", "fail", PURCHASER, fail, reason=True, doc="质疑成立影响结果，重新采购"),
        *[
            t(
                source,
                "approved",
                "redo_from_announcement",
                PURCHASER,
                redo_from_announcement,
                reason=True,
                doc="质疑或投诉成立：修改采购文件后重新公告（新的期限、新一轮响应）",
            )
            for source in ("announced", "bidding_closed", "qualification_review", "scoring", "awarded")
        ],
        *[
            t(
                source,
                "qualification_review",
                "redo_qualification_review",
                PURCHASER,
                redo_qualification_review,
                reason=True,
                doc="质疑或投诉成立：重新资格审查",
            )
            for source in ("scoring", "awarded")
        ],
        t(
            "awarded",
            "contract_signed",
            "sign_contract",
            PURCHASER,
            sign,
            doc="无未决质疑、未暂停采购时签订合同（政府采购法 46、57）",
        ),
        t("contract_signed", "performance_supervision", "start_supervision", PURCHASER, doc="履约监管"),
        t("contract_signed", "terminated", "terminate", PURCHASER, end_contract, reason=True, doc="解除合同"),
        t(
            "contract_signed",
            "taken_over",
            "take_over",
            PURCHASER,
            take_over,
            payload=TakeoverIn,
            reason=True,
            doc="启动临时接管预案",
        ),
        t(
            "performance_supervision",
            "final_evaluation",
            "start_final_evaluation",
            PURCHASER,
            doc="终期绩效评价",
        ),
        t(
            "performance_supervision",
            "terminated",
            "terminate",
            PURCHASER,
            end_contract,
            reason=True,
            doc="解除合同",
        ),
        t(
            "performance_supervision",
            "taken_over",
            "take_over",
            PURCHASER,
            take_over,
            payload=TakeoverIn,
            reason=True,
            doc="启动临时接管预案（闽民保〔2018〕58号 一(七)）",
        ),
        t(
            "terminated",
            "taken_over",
            "take_over",
            PURCHASER,
            take_over,
            payload=TakeoverIn,
            reason=True,
            doc="解除后临时接管",
        ),
        t("final_evaluation", "closed", "close", PURCHASER, close, doc="项目结束"),
        t("terminated", "closed", "close", PURCHASER, close, doc="项目结束"),
        t("taken_over", "closed", "close", PURCHASER, close, doc="项目结束"),
    ],
)
