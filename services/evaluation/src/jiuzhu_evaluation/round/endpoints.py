from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import func, select

from jiuzhu_evaluation.round import access, contract_check, review, service
from jiuzhu_evaluation.round.models import EvaluationRound, RoundStatus
from jiuzhu_evaluation.round.policy import POLICY
from jiuzhu_evaluation.round.purchaser import PurchaserUnavailable
from jiuzhu_evaluation.round.repository import RoundRepository
from jiuzhu_evaluation.round.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    PartyScoreOut,
    PublicationOut,
    RoundIn,
    RoundOut,
    ScoresIn,
)
from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.calendar import CalendarYearMissing
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import Period, Uscc
from jiuzhu_kit.listing import DateFilter, DivisionFilter, RangeInverted, equal, in_division, in_range
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_kit.peers import wired_transport

router = APIRouter(prefix="/rounds", tags=["rounds"])

Bureau = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Contractor = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR))]


async def _out(session: SessionDep, r: EvaluationRound) -> RoundOut:
    return service.snapshot(r, await RoundRepository(session).sheets(r.id))


@router.post(
    "",
    response_model=RoundOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        service.RoundExists,
        service.RecipientWeightTooLow,
        service.TemplateUnsuitable,
        contract_check.ContractMismatch,
        JurisdictionForbidden,
    ),
)
async def open_round(request: Request, session: SessionDep, principal: Bureau, body: RoundIn) -> RoundOut:
    """The purchaser opens a round for one contract and period, naming the parties and their weights."""
    settings = request.app.state.settings
    principal.ensure_covers(body.purchaser_division)  # before asking procurement anything
    checked = await contract_check.check(
        settings.procurement_service_url,
        body,
        request.headers.get("authorization"),
        wired_transport(request.app.state, "procurement"),
    )
    r = await service.open_round(
        session,
        request.app.state.audit,
        principal,
        body,
        settings.recipient_weight_floor,
        settings.appeal_working_days,
        checked,
    )
    return await _out(session, r)


@router.get("", response_model=CursorPage[RoundOut], responses=responses(CursorInvalid, RangeInverted))
async def list_rounds(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    contract_id: uuid.UUID | None = None,
    contractor_uscc: Annotated[Uscc | None, Query()] = None,
    period: Annotated[Period | None, Query()] = None,
    status: Annotated[RoundStatus | None, Query()] = None,
    opened_from: DateFilter = None,
    opened_to: DateFilter = None,
) -> CursorPage[RoundOut]:
    """Rounds you may read (round/policy.py: your jurisdiction's, a contractor its own, a township or
    portal its purchaser's, a named third party its own), newest first."""
    q = in_division(
        POLICY.narrow(principal, select(EvaluationRound)), EvaluationRound.purchaser_division, division_code
    )
    q = equal(
        equal(q, EvaluationRound.contract_id, contract_id), EvaluationRound.contractor_uscc, contractor_uscc
    )
    q = equal(equal(q, EvaluationRound.period, period), EvaluationRound.status, status)
    q = in_range(q, func.date(EvaluationRound.opened_at), opened_from, opened_to, "opened")
    rows = (
        (await session.execute(keyset(q, page, EvaluationRound.opened_at, EvaluationRound.id)))
        .scalars()
        .all()
    )
    sheets = await RoundRepository(session).sheets_of([r.id for r in rows])
    return cursor_page(
        rows,
        page,
        lambda r: (r.opened_at, r.id),
        lambda r: service.snapshot(r, sheets[r.id]),
        keep=lambda r: POLICY.may_read(principal, r),
    )


@router.get("/{round_id}", response_model=RoundOut, responses=responses(service.RoundNotFound))
async def get_round(session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID) -> RoundOut:
    """One evaluation round: its parties, weights, scores received and result, as you may see it."""
    return await _out(session, await service.get_round(session, principal, round_id))


@router.post(
    "/{round_id}/scores",
    response_model=PartyScoreOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        PurchaserUnavailable,
        service.RoundNotFound,
        service.RoundNotOpen,
        service.PartyNotInRound,
        service.PartyForbidden,
        service.SurveyDataMissing,
    ),
)
async def submit_scores(
    request: Request, session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID, body: ScoresIn
) -> PartyScoreOut:
    """One party's score sheet with evidence. The round closes itself once every party is in."""
    _, sheet = await service.submit(session, request.app.state.audit, principal, round_id, body)
    return PartyScoreOut.model_validate(sheet)


@router.get(
    "/{round_id}/scores", response_model=list[PartyScoreOut], responses=responses(service.RoundNotFound)
)
async def list_scores(
    session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID
) -> list[PartyScoreOut]:
    """The parties' sheets (purchaser-side and oversight roles; the contractor sees the published view)."""
    r = await service.get_round(session, principal, round_id)
    if not access.can_see_sheets(principal, r):
        raise service.RoundNotFound()
    return [PartyScoreOut.model_validate(s) for s in await RoundRepository(session).sheets(r.id)]


@router.post(
    "/{round_id}/close",
    response_model=RoundOut,
    responses=responses(
        PurchaserUnavailable, service.RoundNotFound, service.RoundIncomplete, service.InvalidTransition
    ),
)
async def close_round(
    request: Request, session: SessionDep, principal: Bureau, round_id: uuid.UUID
) -> RoundOut:
    """Close once every required party is in (optional parties still missing are left out)."""
    r = await service.close_round(session, request.app.state.audit, principal, round_id)
    return await _out(session, r)


@router.post(
    "/{round_id}/publish",
    response_model=RoundOut,
    responses=responses(
        PurchaserUnavailable, service.RoundNotFound, service.InvalidTransition, CalendarYearMissing
    ),
)
async def publish_round(
    request: Request, session: SessionDep, principal: Bureau, round_id: uuid.UUID
) -> RoundOut:
    """Publish the result (公示); the appeal deadline is counted in working days on the kit calendar."""
    r = await review.publish(
        session, request.app.state.audit, request.app.state.calendar_store, principal, round_id
    )
    return await _out(session, r)


@router.get(
    "/{round_id}/publication",
    response_model=PublicationOut,
    responses=responses(service.RoundNotFound, review.NotPublished),
)
async def get_round_publication(
    session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID
) -> PublicationOut:
    """The published result, recipients anonymised. Readable by every authenticated role."""
    return await review.publication_of(session, principal, round_id)


@router.post(
    "/{round_id}/appeals",
    response_model=AppealOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        PurchaserUnavailable,
        service.RoundNotFound,
        review.AppealNotAllowed,
        review.AppealWindowClosed,
        review.AppealAlreadyFiled,
        service.InvalidTransition,
    ),
)
async def file_appeal(
    request: Request, session: SessionDep, principal: Contractor, round_id: uuid.UUID, body: AppealIn
) -> AppealOut:
    """The contractor appeals a published result within the working-day window; recorded."""
    return AppealOut.model_validate(
        await review.appeal(session, request.app.state.audit, principal, round_id, body)
    )


@router.get("/{round_id}/appeals", response_model=list[AppealOut], responses=responses(service.RoundNotFound))
async def list_appeals(session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID) -> list[AppealOut]:
    """The contractor's appeals against this round's published result, with their decisions."""
    r = await service.get_round(session, principal, round_id)
    return [AppealOut.model_validate(a) for a in await RoundRepository(session).appeals(r.id)]


@router.post(
    "/{round_id}/appeals/{appeal_id}/decision",
    response_model=RoundOut,
    responses=responses(
        PurchaserUnavailable, service.RoundNotFound, review.AppealNotFound, review.AppealDecided
    ),
)
async def decide_appeal(
    request: Request,
    session: SessionDep,
    principal: Bureau,
    round_id: uuid.UUID,
    appeal_id: uuid.UUID,
    body: AppealDecisionIn,
) -> RoundOut:
    """Dismiss (the published result stands) or uphold (scoring reopens as a new revision)."""
    r, _ = await review.decide(session, request.app.state.audit, principal, round_id, appeal_id, body)
    return await _out(session, r)


@router.get(
    "/{round_id}/events", response_model=list[AuditEventOut], responses=responses(service.RoundNotFound)
)
async def round_events(
    request: Request, session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID
) -> list[AuditEventOut]:
    """Every change of the round (scores, close, publication, appeals), hash-chained."""
    row = await RoundRepository(session).get(round_id)
    return await history_of(request, session, POLICY, principal, row, round_id)


@router.get("/{round_id}/events/verify", response_model=VerifyOut, responses=responses(service.RoundNotFound))
async def verify_round_events(
    request: Request, session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID
) -> VerifyOut:
    """Recompute this round's hash chain; `ok` is false if any event was altered or removed."""
    row = await RoundRepository(session).get(round_id)
    return await verify_of(request, session, POLICY, principal, row, round_id)
