"""Contracts: drafted after the award, signed through the project workflow, amended with reasons,
supervised against working-day deadlines, paid per schedule once each payment's gate is met (an
agreed advance on signing, a recorded acceptance, or a published evaluation, scaled by its grade
where the contract says so), with small enterprises' payment terms and the overdue payments listed."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import divisions
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import Conflict, DomainError, NotFound
from jiuzhu_kit.listing import Overdue
from jiuzhu_kit.pagination import CursorPage, CursorParams, cursor_page, keyset
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_procurement.contract import rules
from jiuzhu_procurement.contract.lifecycle import discard_draft, scheduled_payment
from jiuzhu_procurement.contract.machine import PAYMENT_MACHINE as PAYMENT_MACHINE  # the service's too
from jiuzhu_procurement.contract.machine import ContractNotActive as ContractNotActive
from jiuzhu_procurement.contract.machine import PaymentNotReleasable as PaymentNotReleasable
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.contract.policy import POLICY
from jiuzhu_procurement.contract.policy import (
    ContractNotFound as ContractNotFound,  # the service's refusal too
)
from jiuzhu_procurement.contract.schemas import (
    AcceptanceIn,
    AmendmentIn,
    ContractIn,
    ContractOut,
    OverdueOut,
    OverduePaymentOut,
    PaymentOut,
)
from jiuzhu_procurement.contractor.service import get_by_uscc
from jiuzhu_procurement.project.service import locked
from jiuzhu_procurement.purchaser.registry import purchaser_of
from jiuzhu_procurement.workflow.machine import Ctx, snapshot

AGGREGATE = "contract"


class ContractNotDraftable(Conflict):
    code = "CONTRACT_NOT_DRAFTABLE"
    zh = "只有已确定成交且尚未签约的项目可以拟定合同"
    en = "A contract can be drafted only for an awarded project not yet signed"


class DeadlineNotFound(NotFound):
    code = "DEADLINE_NOT_FOUND"
    zh = "合同中没有该履约期限"
    en = "No such deadline in the contract"


class DeadlineAlreadyFulfilled(Conflict):
    code = "DEADLINE_ALREADY_FULFILLED"
    zh = "该履约期限已于 {on} 确认完成，不能再次确认"
    en = "This deadline was already fulfilled on {on}"


class DeadlineMetByRoster(Conflict):
    code = "DEADLINE_MET_BY_ROSTER"
    zh = "派遣期限由花名册自动判断（派遣人数达到合同约定的 {headcount} 人之日），不能手工确认"
    en = (
        "The dispatch deadline is met by the roster (the day {headcount} workers are dispatched), not by hand"
    )


class FulfilledDateInvalid(DomainError):
    code = "FULFILLED_DATE_INVALID"
    status = 422
    zh = "完成日期应在合同签订日（{signed_on}）至今天（{today}）之间"
    en = "The fulfilment date must lie between the signing ({signed_on}) and today ({today})"


async def load(session: AsyncSession, contract_id: uuid.UUID) -> Contract | None:
    return (await session.execute(select(Contract).where(Contract.id == contract_id))).scalar_one_or_none()


async def get(session: AsyncSession, principal: Principal, contract_id: uuid.UUID) -> Contract:
    """The contract if `principal` may read it (contract/policy.py), else its refusal."""
    return POLICY.check(principal, await load(session, contract_id))


async def out(session: AsyncSession, c: Contract, principal: Principal) -> ContractOut:
    """The contract with its payments, as `principal` may see it (contract/policy.py)."""
    pays = (
        await session.execute(
            select(Payment).where(Payment.contract_id == c.id).order_by(Payment.due_on, Payment.id)
        )
    ).scalars()
    o = ContractOut.model_validate(c)
    o.payments = [PaymentOut.model_validate(p) for p in pays]
    view = POLICY.view(principal, c)
    return o if view.full else ContractOut.model_validate(view.apply(o.model_dump()))


async def draft(
    session: AsyncSession,
    audit: AuditLog,
    book: RuleBook[Any],
    principal: Principal,
    project_id: uuid.UUID,
    body: ContractIn,
    on: date,
) -> Contract:
    p = await locked(session, project_id, principal=principal)
    if p.status != "awarded" or p.awarded_uscc is None or p.awarded_amount is None:
        raise ContractNotDraftable()
    if body.subcontracting:
        raise rules.SubcontractingForbidden()
    at = book.at(p.division_code, on)
    rules.check_term(at, body.term_start, body.term_end, body.term_reason)
    deadlines = rules.with_rule_deadlines(at, [d.model_dump(mode="json") for d in body.deadlines])
    price = p.awarded_amount
    rules.check_payments(price, [line.amount for line in body.payment_schedule])
    winner = await get_by_uscc(session, p.awarded_uscc)
    terms = rules.payment_terms(at, winner.small_enterprise, body.payment_days_after_acceptance)
    scale = rules.grade_scale(
        at,
        any(line.scale_by_grade for line in body.payment_schedule),
        [x.model_dump(mode="json") for x in body.grade_scale] if body.grade_scale else None,
    )
    parties = [
        {"role": "purchaser", "name": purchaser_of(p.division_code).name, "division_code": p.division_code},
        {"role": "contractor", "name": winner.name, "uscc": winner.uscc},
        *[x.model_dump(mode="json") for x in body.other_parties],
    ]
    if p.contract_id is not None:
        ctx = Ctx(session, principal, p, None, "replaced by a new draft", on, None)
        await discard_draft(ctx, p)
        for ev in ctx.extra_events:
            await audit.append(session, actor=principal, **ev)
    c = Contract(
        project_id=p.id,
        division_code=p.division_code,
        contractor_uscc=winner.uscc,
        contractor_name=winner.name,
        status="draft",
        subject=body.subject,
        service_standards=body.service_standards,
        quantity=body.quantity,
        headcount=body.headcount,
        price=price,
        term_start=body.term_start,
        term_end=body.term_end,
        term_reason=body.term_reason,
        payment_method=body.payment_method,
        payment_schedule=[x.model_dump(mode="json") for x in body.payment_schedule],
        payment_terms=terms,
        grade_scale=scale,
        breach_liability=body.breach_liability,
        dispute_resolution=body.dispute_resolution,
        parties=parties,
        takeover_plan=body.takeover_plan,
        deadlines=deadlines,
        amendments=[],
    )
    session.add(c)
    await session.flush()
    p.contract_id = c.id
    await session.flush()
    await audit.record(
        session,
        POLICY,
        c,
        "contract.drafted",
        principal,
    )
    return c


async def payment_id(session: AsyncSession, c: Contract, period: str) -> uuid.UUID:
    """The id of the contract's payment for `period`; ContractNotFound if it has none."""
    pay = (
        await session.execute(select(Payment.id).where(Payment.contract_id == c.id, Payment.period == period))
    ).scalar_one_or_none()
    if pay is None:
        raise ContractNotFound()
    return pay


async def _locked(session: AsyncSession, principal: Principal, contract_id: uuid.UUID) -> Contract:
    c = (
        await session.execute(select(Contract).where(Contract.id == contract_id).with_for_update())
    ).scalar_one_or_none()
    if c is None or c.status == "discarded" or not principal.covers(c.division_code):
        raise ContractNotFound()
    return c


async def amend(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    contract_id: uuid.UUID,
    body: AmendmentIn,
    today: date,
    book: RuleBook[Any],
) -> Contract:
    c = await _locked(session, principal, contract_id)
    if c.status != "signed":
        raise ContractNotActive(status=c.status)
    before = snapshot(c)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"reason"})
    price = body.price if body.price is not None else c.price
    original = Decimal(str(c.amendments[0]["original_price"])) if c.amendments else c.price
    at = book.at(c.division_code, today)
    limit = at.rule("amendment_increase_max")
    rules.check_increase(original, price, limit.value, limit.cite)
    term_end = body.term_end or c.term_end
    rules.check_term(at, c.term_start, term_end, body.term_reason or c.term_reason)
    schedule = body.payment_schedule
    if schedule is None and body.price is not None:
        raise rules.PaymentsMismatch(
            total=str(sum(Decimal(x["amount"]) for x in c.payment_schedule)), price=str(price)
        )
    if schedule is not None:
        rules.check_payments(price, [x.amount for x in schedule])
        released = {
            p.period: p
            for p in (
                await session.execute(
                    select(Payment).where(Payment.contract_id == c.id, Payment.status == "released")
                )
            ).scalars()
        }
        new_periods = {x.period: x for x in schedule}
        for period, pay in released.items():
            line = new_periods.get(period)
            if line is None or line.amount != pay.scheduled_amount:
                raise rules.PaymentsMismatch(total=f"{period} 已拨付不可变更", price=str(price))
        if c.grade_scale is None:
            c.grade_scale = rules.grade_scale(at, any(x.scale_by_grade for x in schedule), None)
        await session.execute(
            Payment.__table__.delete().where(Payment.contract_id == c.id, Payment.status != "released")  # type: ignore[attr-defined]
        )
        c.payment_schedule = [x.model_dump(mode="json") for x in schedule]
        for row in c.payment_schedule:
            if row["period"] not in released:
                session.add(scheduled_payment(c, row))
    for field in ("service_standards", "quantity", "term_reason"):
        if getattr(body, field) is not None:
            setattr(c, field, getattr(body, field))
    c.term_end = term_end
    c.price = price
    c.amendments = [
        *c.amendments,
        {
            "on": today.isoformat(),
            "by": principal.sub,
            "reason": body.reason,
            "changes": changes,
            "original_price": str(original),
        },
    ]
    c.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        c,
        "contract.amended",
        principal,
        before=before,
        reason=body.reason,
    )
    return c


async def fulfil(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    contract_id: uuid.UUID,
    key: str,
    on: date,
    today: date,
) -> Contract:
    """Record once that a deadline was met, on a day between the signing and today (China time):
    a second or a future date would rewrite the record the overdue list and oversight rely on."""
    c = await _locked(session, principal, contract_id)
    if c.status != "signed":
        raise ContractNotActive(status=c.status)
    deadline = next((d for d in c.deadlines if d["key"] == key), None)
    if deadline is None:
        raise DeadlineNotFound()
    if deadline.get("fulfilled_on"):
        raise DeadlineAlreadyFulfilled(on=deadline["fulfilled_on"])
    if key == "staff_dispatched" and c.headcount is not None:
        raise DeadlineMetByRoster(headcount=c.headcount)
    if on > today or (c.signed_on is not None and on < c.signed_on):
        raise FulfilledDateInvalid(signed_on=c.signed_on or "—", today=today)
    before = snapshot(c)
    c.deadlines = [{**d, "fulfilled_on": on.isoformat()} if d["key"] == key else d for d in c.deadlines]
    c.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        c,
        "contract.deadline_fulfilled",
        principal,
        before=before,
    )
    return c


async def overdue(
    session: AsyncSession, principal: Principal, as_of: date, division: str | None, page: CursorParams
) -> CursorPage[OverdueOut]:
    """Deadlines past due and not met, for contracts in force in the caller's jurisdiction, soonest
    due first (then by contract and key): one row per deadline, paged by keyset in SQL."""
    scope = division or principal.division
    principal.ensure_covers(scope)
    d = Overdue(Contract.deadlines)
    query = POLICY.narrow(principal, d.select(Contract)).where(
        Contract.status == "signed", Contract.division_code.startswith(divisions.prefix(scope))
    )
    query = keyset(d.past_due(query, as_of), page, d.due_on, Contract.id, d.key, descending=False)
    rows = (await session.execute(query)).all()

    def out(row: Any) -> OverdueOut:
        c, v = row
        due = date.fromisoformat(v["due_on"])
        return OverdueOut(
            contract_id=c.id,
            project_id=c.project_id,
            division_code=c.division_code,
            contractor_uscc=c.contractor_uscc,
            contractor_name=c.contractor_name,
            key=v["key"],
            name=v["name"],
            due_on=due,
            days_overdue=(as_of - due).days,
            citation=v.get("citation"),
        )

    return cursor_page(rows, page, lambda r: (r[1]["due_on"], r[0].id, r[1]["key"]), out)


class PaymentGateMismatch(Conflict):
    code = "PAYMENT_GATE_MISMATCH"
    zh = "{period} 期的付款条件为 {gate}，不以验收为条件"
    en = "Period {period} is gated by {gate}, not by acceptance"


class PaymentAlreadyAccepted(Conflict):
    code = "PAYMENT_ALREADY_ACCEPTED"
    zh = "{period} 期已于 {on} 验收，不能再次记录"
    en = "Period {period} was already accepted on {on}"


class AcceptanceDateInvalid(DomainError):
    code = "ACCEPTANCE_DATE_INVALID"
    status = 422
    zh = "验收日期应在合同签订日（{signed_on}）至今天（{today}）之间"
    en = "The acceptance date must lie between the signing ({signed_on}) and today ({today})"


class PaymentAlreadyReleased(Conflict):
    code = "PAYMENT_ALREADY_RELEASED"
    zh = "{period} 期已拨付"
    en = "Period {period} is already released"


async def accept(
    session: AsyncSession,
    audit: AuditLog,
    book: RuleBook[Any],
    principal: Principal,
    contract_id: uuid.UUID,
    period: str,
    body: AcceptanceIn,
    today: date,
) -> Contract:
    """Record once that a period's service passed acceptance (验收), on a day between the signing
    and today. The payment then falls due by the terms: a small enterprise's within the statutory or
    agreed days of the acceptance (保障中小企业款项支付条例), by the rules in force on that day."""
    c = await _locked(session, principal, contract_id)
    if c.status != "signed":
        raise ContractNotActive(status=c.status)
    pay = (
        await session.execute(
            select(Payment).where(Payment.contract_id == c.id, Payment.period == period).with_for_update()
        )
    ).scalar_one_or_none()
    if pay is None:
        raise ContractNotFound()
    if pay.gate != "acceptance":
        raise PaymentGateMismatch(period=period, gate=pay.gate)
    if pay.accepted_on is not None:
        raise PaymentAlreadyAccepted(period=period, on=pay.accepted_on.isoformat())
    if pay.status == "released":
        raise PaymentAlreadyReleased(period=period)
    if body.on > today or (c.signed_on is not None and body.on < c.signed_on):
        raise AcceptanceDateInvalid(signed_on=c.signed_on or "—", today=today)
    before = snapshot(pay)
    due = rules.due_after_acceptance(book.at(c.division_code, body.on), c.payment_terms or {}, body.on)
    pay.accepted_on = body.on
    pay.acceptance = {
        "by": principal.sub,
        "note": body.note,
        "planned_due_on": pay.due_on.isoformat(),
        "due": due,
    }
    if due is not None:
        pay.due_on = date.fromisoformat(due["due_on"])
    pay.version += 1
    await session.flush()
    await audit.append(
        session,
        aggregate_type=PAYMENT_MACHINE.aggregate,
        aggregate_id=pay.id,
        action="payment.accepted",
        actor=principal,
        data=snapshot(pay),
        before=before,
        reason=body.note,
        jurisdiction=c.division_code,
        row_locked=True,  # the payment row is locked FOR UPDATE above
    )
    return c


async def overdue_payments(
    session: AsyncSession, principal: Principal, as_of: date, division: str | None, page: CursorParams
) -> CursorPage[OverduePaymentOut]:
    """Payments past their due date and not released, per purchaser in the caller's jurisdiction:
    those of contracts in force, and those accepted under a contract that has since ended (the
    service was accepted: the money is owed). Soonest due first, paged by keyset."""
    scope = division or principal.division
    principal.ensure_covers(scope)
    query = (
        POLICY.narrow(principal, cast("Select[Any]", select(Payment, Contract)))
        .join(Contract, Contract.id == Payment.contract_id)
        .where(
            Payment.status == "scheduled",
            Payment.due_on < as_of,
            Contract.status.not_in(("draft", "discarded")),
            or_(Contract.status == "signed", Payment.accepted_on.is_not(None)),
            Contract.division_code.startswith(divisions.prefix(scope)),
        )
    )
    rows = (await session.execute(keyset(query, page, Payment.due_on, Payment.id, descending=False))).all()

    def out(row: Any) -> OverduePaymentOut:
        pay, c = row
        terms = c.payment_terms or {}
        due = (pay.acceptance or {}).get("due")
        return OverduePaymentOut(
            contract_id=c.id,
            project_id=c.project_id,
            division_code=c.division_code,
            contractor_uscc=c.contractor_uscc,
            contractor_name=c.contractor_name,
            small_enterprise=bool(terms.get("small_enterprise")),
            period=pay.period,
            gate=pay.gate,
            amount=pay.amount,
            accepted_on=pay.accepted_on,
            due_on=pay.due_on,
            days_overdue=(as_of - pay.due_on).days,
            citation=due["citation"] if due else "合同约定的付款日",
        )

    return cursor_page(rows, page, lambda r: (r[0].due_on, r[0].id), out)
