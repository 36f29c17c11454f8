"""`GET /contracts/{contract_id}/evaluation-schedule`: the rounds a contract's term calls for;
`GET /contracts/missing-rounds`: the periods that ended without their round, county-wide."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from jiuzhu_evaluation.schedule import contract_terms, service
from jiuzhu_evaluation.schedule.schemas import MissingRoundOut, ScheduleOut
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_params
from jiuzhu_kit.peers import wired_transport

router = APIRouter(prefix="/contracts", tags=["schedule"])

# Who reads a contract in procurement (contract/policy.py there): asked first, so a role that may
# not read contracts is refused here with its code rather than by the peer.
ContractReader = Annotated[
    Principal,
    Depends(
        require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR, Role.EVALUATOR, Role.CONTRACTOR)
    ),
]
# Who oversees purchases across a jurisdiction (procurement's overdue lists have the same readers).
Supervisor = Annotated[
    Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))
]


@router.get(
    "/missing-rounds",
    response_model=CursorPage[MissingRoundOut],
    responses=responses(JurisdictionForbidden, CursorInvalid, contract_terms.ProcurementUnavailable),
)
async def list_missing_rounds(
    request: Request,
    session: SessionDep,
    principal: Supervisor,
    page: Annotated[CursorParams, Depends(cursor_params)],
    on: Annotated[
        date | None, Query(description="按此日判断是否逾期，默认今天（中国时间）", examples=["2020-07-15"])
    ] = None,
    division_code: Annotated[
        DivisionCode | None,
        Query(description="只看此区划及其下级（默认：调用者的辖区）", examples=["640181"]),
    ] = None,
) -> CursorPage[MissingRoundOut]:
    """缺失的评价轮次 — across every contract you may read in procurement (its read policy, with your
    credentials) under `division_code`, each evaluation period that ended with no round by the rule
    `evaluations_per_year` in force where and when the contract's term began (e.g. Lingwu's
    half-yearly evaluation, 灵政办发〔2018〕201号 六(二), the basis for releasing its funds). Oldest first,
    as a cursor page."""
    scope = division_code or principal.division
    principal.ensure_covers(scope)
    contracts = await contract_terms.fetch_readable(
        request.app.state.settings.procurement_service_url,
        request.headers.get("authorization"),
        scope,
        wired_transport(request.app.state, "procurement"),
    )
    return await service.missing(session, request.app.state.rules, principal, contracts, on or today(), page)


@router.get(
    "/{contract_id}/evaluation-schedule",
    response_model=ScheduleOut,
    responses=responses(contract_terms.ContractNotFound, contract_terms.ProcurementUnavailable),
)
async def get_evaluation_schedule(
    request: Request,
    session: SessionDep,
    principal: ContractReader,
    contract_id: uuid.UUID,
    on: Annotated[date | None, Query(description="按此日判断是否逾期，默认今天（中国时间）")] = None,
) -> ScheduleOut:
    """评价日程 — the evaluation periods of the contract's term by the rule `evaluations_per_year`
    in force where and when the term began (annual by default; every half-year in Lingwu, 灵政办发〔2018〕201号
    六(二)), each with its round: upcoming, running, in progress, published, or missing (the period
    ended with no published round). Readable by whoever may read the contract in procurement."""
    terms = await contract_terms.fetch(
        request.app.state.settings.procurement_service_url,
        contract_id,
        request.headers.get("authorization"),
        wired_transport(request.app.state, "procurement"),
    )
    return await service.schedule(session, request.app.state.rules, principal, terms, on or today())
