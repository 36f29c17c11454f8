from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode, Period
from jiuzhu_procurement.common.evaluation import EvaluationUnavailable
from jiuzhu_procurement.contract import rules, service
from jiuzhu_procurement.contract.models import Payment
from jiuzhu_procurement.contract.policy import POLICY
from jiuzhu_procurement.contract.schemas import AmendmentIn, ContractIn, ContractOut, FulfilIn, OverdueOut
from jiuzhu_procurement.project.service import ProjectNotFound
from jiuzhu_procurement.workflow.http import add_event_routes, apply, by_uuid
from jiuzhu_procurement.workflow.machine import TransitionNotAllowed
from jiuzhu_procurement.workflow.schemas import TransitionIn

router = APIRouter(tags=["contracts"])

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
    ),
)
async def draft_contract(
    request: Request, session: SessionDep, principal: Purchaser, project_id: uuid.UUID, body: ContractIn
) -> ContractOut:
    """Draft the contract of an awarded project with the winner (tripartite parties allowed). It is signed by
    the project's `sign_contract` transition."""
    c = await service.draft(
        session, request.app.state.audit, request.app.state.rules, principal, project_id, body, today()
    )
    return await service.out(session, c, principal)


@router.get(
    "/contracts/overdue-deadlines",
    response_model=list[OverdueOut],
    responses=responses(JurisdictionForbidden),
)
async def overdue_deadlines(
    session: SessionDep,
    principal: Supervisor,
    as_of: date | None = None,
    division_code: DivisionCode | None = None,
) -> list[OverdueOut]:
    """Working-day deadlines past due and not met (e.g. Lingwu: staff dispatched within 15 working days)."""
    return await service.overdue(session, principal, as_of or today(), division_code)


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
    "/contracts/{contract_id}/deadlines/{key}/fulfil",
    response_model=ContractOut,
    responses=responses(
        service.ContractNotFound,
        service.DeadlineNotFound,
        service.DeadlineAlreadyFulfilled,
        service.FulfilledDateInvalid,
    ),
)
async def fulfil_deadline(
    request: Request,
    session: SessionDep,
    principal: Purchaser,
    contract_id: uuid.UUID,
    key: str,
    body: FulfilIn,
) -> ContractOut:
    """Record that a deadline was met: once, on a day between the signing and today; audited."""
    c = await service.fulfil(session, request.app.state.audit, principal, contract_id, key, body.on, today())
    return await service.out(session, c, principal)


@router.post(
    "/contracts/{contract_id}/payments/{period}/release",
    response_model=ContractOut,
    responses=responses(
        service.ContractNotFound, service.PaymentNotReleasable, TransitionNotAllowed, EvaluationUnavailable
    ),
)
async def release_payment(
    request: Request, session: SessionDep, principal: Payer, contract_id: uuid.UUID, period: Period
) -> ContractOut:
    """Release one scheduled payment after asking the evaluation service whether its evaluation passed
    (灵政办发〔2018〕201号 六(二): the half-yearly evaluation is the basis for releasing funds)."""
    c = await service.get(session, principal, contract_id)
    pay = await service.payment_id(session, c, period)
    await apply(
        request,
        session,
        principal,
        service.PAYMENT_MACHINE,
        Payment,
        pay,
        TransitionIn(to="released"),
        service.ContractNotFound,
    )
    return await service.out(session, c, principal)


add_event_routes(router, "/contracts/{key}", POLICY, by_uuid(service.load))
