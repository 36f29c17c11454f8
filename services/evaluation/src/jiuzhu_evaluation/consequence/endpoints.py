from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from jiuzhu_evaluation.consequence import service
from jiuzhu_evaluation.consequence.schemas import (
    ContractorHistoryOut,
    DebarmentSuggestionOut,
    PaymentReleaseOut,
)
from jiuzhu_kit.auth import Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.ids import Period, Uscc

router = APIRouter(prefix="/consequences", tags=["consequences"])

Oversight = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.FINANCE, Role.AUDITOR))]
UsccPath = Annotated[Uscc, Path()]


@router.get("/payment-release", response_model=PaymentReleaseOut)
async def get_payment_release(
    session: SessionDep,
    principal: PrincipalDep,
    contract_id: uuid.UUID,
    period: Annotated[Period, Query()],
) -> PaymentReleaseOut:
    """May the payment tied to this contract and period be released? (procurement asks this)"""
    return await service.payment_release(session, principal, contract_id, period)


@router.get("/contractor-history/{uscc}", response_model=ContractorHistoryOut)
async def get_contractor_history(
    session: SessionDep, principal: PrincipalDep, uscc: UsccPath
) -> ContractorHistoryOut:
    """The contractor's published results (used by procurement scoring)."""
    return await service.contractor_history(session, uscc)


@router.get("/debarment-suggestion/{uscc}", response_model=DebarmentSuggestionOut)
async def get_debarment_suggestion(
    session: SessionDep, principal: Oversight, uscc: UsccPath
) -> DebarmentSuggestionOut:
    """After a failing published result: a suggestion (never a decision) with its legal basis."""
    return await service.debarment_suggestion(session, uscc)
