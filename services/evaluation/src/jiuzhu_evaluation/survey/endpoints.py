from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from jiuzhu_evaluation.round.service import RoundNotFound
from jiuzhu_evaluation.survey import service, stats
from jiuzhu_evaluation.survey.ratelimit import RateLimited, SlidingWindow
from jiuzhu_evaluation.survey.schemas import (
    AnswerIn,
    BulkIn,
    CodesIn,
    CodesOut,
    IntakeOut,
    SurveyIn,
    SurveyOut,
)
from jiuzhu_kit import divisions
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import Forbidden, responses
from jiuzhu_kit.ids import DivisionCode

# 5,000 answers of up to 50 items: above the kit's 1 MiB default request-size limit.
MAX_BULK_BYTES = 8 * 1024 * 1024
router = APIRouter(prefix="/surveys", tags=["surveys"])

Bureau = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Portal = Annotated[Principal, Depends(require_roles(Role.PORTAL))]
Oversight = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.FINANCE, Role.AUDITOR))]


def _limiter(request: Request, name: str, limit: int) -> SlidingWindow:
    state = request.app.state
    if not hasattr(state, name):
        setattr(state, name, SlidingWindow(limit))
    limiter = getattr(state, name)
    assert isinstance(limiter, SlidingWindow)
    return limiter


def _pepper(request: Request) -> str:
    return str(request.app.state.settings.survey_code_pepper)


@router.post(
    "",
    response_model=SurveyOut,
    status_code=status.HTTP_201_CREATED,
    # RoundNotFound: a survey tied to `round_id` of a round that does not exist (found by fuzzing).
    responses=responses(service.SurveyExists, service.NoQuestions, JurisdictionForbidden, RoundNotFound),
)
async def create_survey(
    request: Request, session: SessionDep, principal: Bureau, body: SurveyIn
) -> SurveyOut:
    """A Likert satisfaction survey for one contract and period (seed 001 一(六); seed 004 四(四))."""
    return SurveyOut.model_validate(await service.create(session, request.app.state.audit, principal, body))


@router.get(
    "/results/by-contract-period",
    response_model=list[dict[str, Any]],
    responses=responses(JurisdictionForbidden),
)
async def results_by_contract_period(
    session: SessionDep, principal: Oversight, division_code: Annotated[DivisionCode | None, Query()] = None
) -> list[dict[str, Any]]:
    """Every contract and period in your jurisdiction (or under `division_code`), aggregated in one SQL pass."""
    target = division_code or principal.division
    principal.ensure_covers(target)
    return await stats.all_contract_periods(session, divisions.prefix(target))


@router.get("/{survey_id}", response_model=SurveyOut, responses=responses(service.SurveyNotFound))
async def get_survey(session: SessionDep, principal: PrincipalDep, survey_id: uuid.UUID) -> SurveyOut:
    """One recipient survey: its questions, period, sample and status (codes are never shown)."""
    return SurveyOut.model_validate(await service.get(session, principal, survey_id))


@router.post(
    "/{survey_id}/codes",
    response_model=CodesOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(service.SurveyNotFound, service.SurveyClosed, Forbidden),
)
async def issue_codes(
    request: Request, session: SessionDep, principal: Bureau, survey_id: uuid.UUID, body: CodesIn
) -> CodesOut:
    """One-time codes for recipients, shown once. Only a keyed hash is kept; no person is recorded."""
    codes = await service.issue_codes(
        session, request.app.state.audit, principal, _pepper(request), survey_id, body.count
    )
    return CodesOut(survey_id=survey_id, codes=codes)


@router.post(
    "/{survey_id}/responses",
    response_model=IntakeOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        service.SurveyNotFound,
        service.CodeInvalid,
        service.CodeUsed,
        service.SurveyClosed,
        service.AnswersInvalid,
        RateLimited,
    ),
)
async def answer_survey(
    request: Request, session: SessionDep, survey_id: uuid.UUID, body: AnswerIn
) -> IntakeOut:
    """A recipient answers with a one-time code (no login: the code is the credential). Rate-limited."""
    limit = request.app.state.settings.survey_rate_limit_per_minute
    client = request.client.host if request.client else "?"
    _limiter(request, "survey_direct_limiter", limit).check(f"{client}:{survey_id}")
    return await service.intake_one(session, request.app.state.audit, _pepper(request), survey_id, body)


@router.post(
    "/{survey_id}/responses/bulk",
    response_model=IntakeOut,
    responses=responses(service.SurveyNotFound, service.SurveyClosed, RateLimited),
)
async def answer_survey_bulk(
    request: Request, session: SessionDep, principal: Portal, survey_id: uuid.UUID, body: BulkIn
) -> IntakeOut:
    """A portal submits many answers at once; each item is accepted or rejected on its own."""
    limit = request.app.state.settings.survey_bulk_rate_limit_per_minute
    _limiter(request, "survey_bulk_limiter", limit).check(principal.sub)
    s = await service.get(session, principal, survey_id)
    return await service.intake(
        session, request.app.state.audit, principal, _pepper(request), s, body.responses, "portal"
    )


@router.post("/{survey_id}/close", response_model=SurveyOut, responses=responses(service.SurveyNotFound))
async def close_survey(
    request: Request, session: SessionDep, principal: Bureau, survey_id: uuid.UUID
) -> SurveyOut:
    """Close a survey: no more answers are taken and its results are final; audited."""
    return SurveyOut.model_validate(
        await service.close(session, request.app.state.audit, principal, survey_id)
    )


@router.get(
    "/{survey_id}/results", response_model=dict[str, Any], responses=responses(service.SurveyNotFound)
)
async def get_survey_results(
    session: SessionDep, principal: PrincipalDep, survey_id: uuid.UUID
) -> dict[str, Any]:
    """Response rate, mean, share satisfied, 95% intervals, small-sample warning (aggregates only)."""
    return await stats.survey_stats(session, await service.get(session, principal, survey_id))
