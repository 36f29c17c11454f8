"""`GET /contracts/{contract_id}/evaluation-schedule`: the rounds a contract's term calls for."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from jiuzhu_evaluation.schedule import contract_terms, service
from jiuzhu_evaluation.schedule.schemas import ScheduleOut
from jiuzhu_kit.auth import Principal, Role, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
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
