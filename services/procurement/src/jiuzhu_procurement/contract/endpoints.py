from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, RoleForbidden, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.documents.api import DocumentOut
from jiuzhu_kit.documents.generated import generate
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode, Period
from jiuzhu_kit.listing import RangeInverted, StatusCountsOut
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_params
from jiuzhu_procurement.common.evaluation import EvaluationUnavailable
from jiuzhu_procurement.contract import document, listing, machine, rules, service
from jiuzhu_procurement.contract.models import Payment
from jiuzhu_procurement.contract.policy import PAYMENT_POLICY, POLICY
from jiuzhu_procurement.contract.schemas import (
    AcceptanceIn,
    AmendmentIn,
    ContractIn,
    ContractOut,
    FulfilIn,
    OverdueOut,
    OverduePaymentOut,
    ReleaseIn,
)
from jiuzhu_procurement.project.service import ProjectNotFound
from jiuzhu_procurement.workflow.http import add_event_routes, apply, by_uuid
from jiuzhu_procurement.workflow.machine import ReasonRequired, TransitionNotAllowed, read_before
from jiuzhu_procurement.workflow.schemas import TransitionIn

router = APIRouter(tags=["contracts"])

OverdueOn = Annotated[
    date | None, Query(description="过期的判断日，默认今天 (overdue as of this day; today by default)")
]
OverdueDivision = Annotated[
    DivisionCode | None,
    Query(description="区划代码，含其下级区划，默认你的辖区 (a division and its subtree; yours by default)"),
]

Purchaser = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP))]
Payer = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE))]
Supervisor = Annotated[
    Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))
]


@router.post(
    "/projects/{project_id}/contract",
    response_model=ContractOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ProjectNotFound,
        service.ContractNotDraftable,
        rules.ContractTermTooLong,
        rules.SubcontractingForbidden,
        rules.PaymentsMismatch,
        rules.DeadlineTooLate,
        rules.PaymentTermTooLong,
        rules.GradeScaleRequired,
    ),
)
async def draft_contract(
    request: Request, session: SessionDep, principal: Purchaser, project_id: uuid.UUID, body: ContractIn
) -> ContractOut:
    """Draft the contract of an awarded project with the winner (tripartite parties allowed). It is signed by
    the project's `sign_contract` transition.

    Each payment line names its gate (`on_signing` advance, `acceptance`, `evaluation` — the default) and may
    be `scale_by_grade` (evaluation only) by the contract's `grade_scale` or the rules' default. With a small
    enterprise the agreed `payment_days_after_acceptance` may not exceed the longest the rules in force allow
    (60 days, 保障中小企业款项支付条例); the enterprise's size is the one it has now, when the contract is
    concluded."""
    c = await service.draft(
        session, request.app.state.audit, request.app.state.rules, principal, project_id, body, today()
    )
    return await service.out(session, c, principal)


@router.get(
    "/contracts", response_model=CursorPage[ContractOut], responses=responses(CursorInvalid, RangeInverted)
)
async def list_contracts(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    filters: Annotated[listing.ContractFilters, Depends()],
) -> CursorPage[ContractOut]:
    """Contracts you may read (your jurisdiction's; a contractor its own), newest first, with payments."""
    return await listing.contracts(session, principal, page, filters)


@router.get(
    "/payments",
    response_model=CursorPage[listing.PaymentItemOut],
    responses=responses(CursorInvalid, RangeInverted),
)
async def list_payments(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    filters: Annotated[listing.PaymentFilters, Depends()],
) -> CursorPage[listing.PaymentItemOut]:
    """Payments of the contracts you may read, soonest due first (e.g. `status=scheduled&due_to=…`)."""
    return await listing.payments(session, principal, page, filters)


@router.get("/contracts/counts", response_model=StatusCountsOut, responses=responses(RangeInverted))
async def count_contracts(
    session: SessionDep, principal: PrincipalDep, filters: Annotated[listing.ContractFilters, Depends()]
) -> StatusCountsOut:
    """Contracts per status you may read, under the same filters as the list (a dashboard's
    "contracts per state in my county"); statuses with none are absent."""
    return await listing.contract_counts(session, principal, filters)


@router.get("/payments/counts", response_model=StatusCountsOut, responses=responses(RangeInverted))
async def count_payments(
    session: SessionDep, principal: PrincipalDep, filters: Annotated[listing.PaymentFilters, Depends()]
) -> StatusCountsOut:
    """Payments per status (scheduled, released) of the contracts you may read, under the same
    filters as the payments list; statuses with none are absent."""
    return await listing.payment_counts(session, principal, filters)


@router.get(
    "/contracts/overdue-deadlines",
    response_model=CursorPage[OverdueOut],
    responses=responses(JurisdictionForbidden, CursorInvalid),
)
async def contract_overdue_deadlines(
    session: SessionDep,
    principal: Supervisor,
    page: Annotated[CursorParams, Depends(cursor_params)],
    on: OverdueOn = None,
    division_code: OverdueDivision = None,
) -> CursorPage[OverdueOut]:
    """Working-day deadlines past due and not met (e.g. Lingwu: staff dispatched within 15 working days),
    soonest due first, a cursor page like every list."""
    return await service.overdue(session, principal, on or today(), division_code, page)


@router.get(
    "/contracts/overdue-payments",
    response_model=CursorPage[OverduePaymentOut],
    responses=responses(JurisdictionForbidden, CursorInvalid),
)
async def overdue_payments(
    session: SessionDep,
    principal: Supervisor,
    page: Annotated[CursorParams, Depends(cursor_params)],
    on: OverdueOn = None,
    division_code: OverdueDivision = None,
) -> CursorPage[OverduePaymentOut]:
    """Payments past their due date and not released, per purchaser: e.g. a small enterprise's payment
    due 30 days after acceptance (保障中小企业款项支付条例), or a half-year whose evaluation never came."""
    return await service.overdue_payments(session, principal, on or today(), division_code, page)


@router.get(
    "/contracts/{contract_id}", response_model=ContractOut, responses=responses(service.ContractNotFound)
)
async def get_contract(session: SessionDep, principal: PrincipalDep, contract_id: uuid.UUID) -> ContractOut:
    """A contract with its payments. `division_code` is the purchaser's division and `contractor_uscc` the
    contractor's code (the evaluation service relies on both)."""
    return await service.out(session, await service.get(session, principal, contract_id), principal)


@router.post(
    "/contracts/{contract_id}/amendments",
    response_model=ContractOut,
    responses=responses(service.ContractNotFound, service.ContractNotActive, rules.IncreaseTooLarge),
)
async def amend_contract(
    request: Request, session: SessionDep, principal: Purchaser, contract_id: uuid.UUID, body: AmendmentIn
) -> ContractOut:
    """Amend a contract in force, with a reason; increases are capped at 10% (政府采购法 49)."""
    c = await service.amend(
        session, request.app.state.audit, principal, contract_id, body, today(), request.app.state.rules
    )
    return await service.out(session, c, principal)


@router.post(
    "/contracts/{contract_id}/deadlines/{deadline_key}/fulfil",
    response_model=ContractOut,
    responses=responses(
        service.ContractNotFound,
        service.DeadlineNotFound,
        service.DeadlineAlreadyFulfilled,
        service.DeadlineMetByRoster,
        service.FulfilledDateInvalid,
    ),
)
async def fulfil_deadline(
    request: Request,
    session: SessionDep,
    principal: Purchaser,
    contract_id: uuid.UUID,
    deadline_key: str,
    body: FulfilIn,
) -> ContractOut:
    """Record that a deadline was met: once, on a day between the signing and today; audited."""
    c = await service.fulfil(
        session, request.app.state.audit, principal, contract_id, deadline_key, body.on, today()
    )
    return await service.out(session, c, principal)


@router.post(
    "/contracts/{contract_id}/payments/{period}/acceptance",
    response_model=ContractOut,
    responses=responses(
        service.ContractNotFound,
        service.ContractNotActive,
        service.PaymentGateMismatch,
        service.PaymentAlreadyAccepted,
        service.PaymentAlreadyReleased,
        service.AcceptanceDateInvalid,
    ),
)
async def accept_payment(
    request: Request,
    session: SessionDep,
    principal: Purchaser,
    contract_id: uuid.UUID,
    period: Period,
    body: AcceptanceIn,
) -> ContractOut:
    """Record the acceptance (验收) of a period paid on acceptance: once, on a day between the signing and
    today; audited on the payment. A small enterprise's payment then falls due within the days the rules in
    force on that day allow (30, or the contract's agreed term up to 60: 保障中小企业款项支付条例)."""
    c = await service.accept(
        session,
        request.app.state.audit,
        request.app.state.rules,
        principal,
        contract_id,
        period,
        body,
        today(),
    )
    return await service.out(session, c, principal)


@router.post(
    "/contracts/{contract_id}/payments/{period}/release",
    response_model=ContractOut,
    responses=responses(
        service.ContractNotFound,
        service.PaymentNotReleasable,
        machine.PaymentNotAccepted,
        machine.PaymentWithheld,
        machine.GradeNotInScale,
        machine.OverrideAmountInvalid,
        machine.OverrideFinanceOnly,
        ReasonRequired,
        TransitionNotAllowed,
        EvaluationUnavailable,
    ),
)
async def release_payment(
    request: Request,
    session: SessionDep,
    principal: Payer,
    contract_id: uuid.UUID,
    period: Period,
    body: ReleaseIn | None = None,
) -> ContractOut:
    """Release one scheduled payment once its gate is met: an agreed advance once the contract is signed
    (灵政办发〔2018〕201号 五(四)), a recorded acceptance, or — the default — the period's evaluation, asked
    of the evaluation service (六(二): the half-yearly evaluation is the basis for releasing funds). A line
    scaled by grade releases the scheduled amount × the contract's ratio for the published grade, rounded
    half-up to the fen; a ratio of 0 withholds it (PAYMENT_WITHHELD, with the takeover plan).

    Finance may override the gate (`override_gate`) or the amount (`override_amount`), with a `reason`:
    recorded on the payment (`override`) and in its audit chain (`…/payments/{period}/events`)."""
    c = await service.get(session, principal, contract_id)
    pay = await service.payment_id(session, c, period)
    ov = body or ReleaseIn()
    data: dict[str, object] | None = None
    if ov.override_gate or ov.override_amount is not None:
        data = {"override_gate": ov.override_gate}
        if ov.override_amount is not None:
            data["override_amount"] = str(ov.override_amount)
    await apply(
        request,
        session,
        principal,
        service.PAYMENT_MACHINE,
        Payment,
        pay,
        TransitionIn(to="released", reason=ov.reason, data=data),
        service.ContractNotFound,
        read_before,  # the contract, above
    )
    return await service.out(session, c, principal)


@router.get(
    "/contracts/{contract_id}/payments/{period}/events",
    response_model=list[AuditEventOut],
    responses=responses(service.ContractNotFound, RoleForbidden),
)
async def payment_events(
    request: Request, session: SessionDep, principal: PrincipalDep, contract_id: uuid.UUID, period: Period
) -> list[AuditEventOut]:
    """Every audit event of one payment (acceptance, release, finance's override with its reason), as you
    may see it: readable by whoever may read the contract."""
    c = PAYMENT_POLICY.check(principal, await service.load(session, contract_id), history=True)
    pay = await service.payment_id(session, c, period)
    return await history_of(request, session, PAYMENT_POLICY, principal, c, pay)


@router.get(
    "/contracts/{contract_id}/payments/{period}/events/verify",
    response_model=VerifyOut,
    responses=responses(service.ContractNotFound, RoleForbidden),
)
async def payment_events_verify(
    request: Request, session: SessionDep, principal: PrincipalDep, contract_id: uuid.UUID, period: Period
) -> VerifyOut:
    """Recompute this payment's hash chain; `ok` is false if any event was altered or removed."""
    c = PAYMENT_POLICY.check(principal, await service.load(session, contract_id), history=True)
    pay = await service.payment_id(session, c, period)
    return await verify_of(request, session, PAYMENT_POLICY, principal, c, pay)


@router.post(
    "/contracts/{contract_id}/documents/generated",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(service.ContractNotFound, RoleForbidden),
    tags=["contracts"],
)
async def generate_contract_document(
    request: Request, session: SessionDep, principal: Purchaser, contract_id: uuid.UUID
) -> DocumentOut:
    """The contract as .docx from its current data (templates/contract.yaml: the parties, the eight
    clauses of seed 003 三(五)2, the tripartite form when a third party signs), stored as the
    contract's document: a new version when the data changed since the last one, else the same.
    Once generated, every later write to the contract (an amendment) regenerates it before commit."""
    c = await service.get(session, principal, contract_id)
    return await generate(request, session, principal, document.GENERATOR, str(c.id))


add_event_routes(router, "/contracts/{contract_id}", POLICY, by_uuid(service.load))
