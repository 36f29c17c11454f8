from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from jiuzhu_evaluation.round.service import RoundNotFound
from jiuzhu_evaluation.survey import service, stats
from jiuzhu_evaluation.survey.models import Survey
from jiuzhu_evaluation.survey.policy import POLICY
from jiuzhu_evaluation.survey.ratelimit import RateLimited, SurveyLimits
from jiuzhu_evaluation.survey.repository import SurveyRepository
from jiuzhu_evaluation.survey.schemas import (
    AnswerIn,
    BulkIn,
    CodesIn,
    CodesOut,
    ContractPeriodResultOut,
    IntakeOut,
    SurveyIn,
    SurveyOut,
    SurveyResultsOut,
)
from jiuzhu_kit import divisions
from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import Forbidden, responses
from jiuzhu_kit.ids import DivisionCode, Period, Uscc
from jiuzhu_kit.listing import DivisionFilter, TextFilter, equal, in_division, matching
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset

# 5,000 answers of up to 50 items: above the kit's 1 MiB default request-size limit.
MAX_BULK_BYTES = 8 * 1024 * 1024
router = APIRouter(prefix="/surveys", tags=["surveys"])

Bureau = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Portal = Annotated[Principal, Depends(require_roles(Role.PORTAL))]
Oversight = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.FINANCE, Role.AUDITOR))]


def _limits(request: Request) -> SurveyLimits:
    limits = request.app.state.survey_limits
    assert isinstance(limits, SurveyLimits)
    return limits


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


@router.get("", response_model=CursorPage[SurveyOut], responses=responses(CursorInvalid))
async def list_surveys(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    contract_id: uuid.UUID | None = None,
    contractor_uscc: Annotated[Uscc | None, Query()] = None,
    period: Annotated[Period | None, Query()] = None,
    status_: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
    q: TextFilter = None,
) -> CursorPage[SurveyOut]:
    """Surveys you may read (survey/policy.py), newest first."""
    query = in_division(POLICY.narrow(principal, select(Survey)), Survey.purchaser_division, division_code)
    query = equal(equal(query, Survey.contract_id, contract_id), Survey.contractor_uscc, contractor_uscc)
    query = matching(equal(equal(query, Survey.period, period), Survey.status, status_), q, Survey.title)
    rows = (await session.execute(keyset(query, page, Survey.created_at, Survey.id))).scalars().all()
    return cursor_page(
        rows,
        page,
        lambda s: (s.created_at, s.id),
        SurveyOut.model_validate,
        keep=lambda s: POLICY.may_read(principal, s),
    )


@router.get(
    "/results/by-contract-period",
    response_model=list[ContractPeriodResultOut],
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
    client = request.client.host if request.client else "?"
    await _limits(request).answer.enforce(client, str(survey_id))
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
    await _limits(request).bulk.enforce(principal.sub)
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
    "/{survey_id}/results", response_model=SurveyResultsOut, responses=responses(service.SurveyNotFound)
)
async def get_survey_results(
    session: SessionDep, principal: PrincipalDep, survey_id: uuid.UUID
) -> dict[str, Any]:
    """Response rate, mean, share satisfied, 95% intervals, small-sample warning (aggregates only)."""
    return await stats.survey_stats(session, await service.get(session, principal, survey_id))


@router.get(
    "/{survey_id}/events", response_model=list[AuditEventOut], responses=responses(service.SurveyNotFound)
)
async def survey_events(
    request: Request, session: SessionDep, principal: PrincipalDep, survey_id: uuid.UUID
) -> list[AuditEventOut]:
    """Every change of the survey (created, codes issued — counts only, answers received — counts
    only, closed), hash-chained; no code and no answer is in it."""
    row = await SurveyRepository(session).get(survey_id)
    return await history_of(request, session, POLICY, principal, row, survey_id)


@router.get(
    "/{survey_id}/events/verify", response_model=VerifyOut, responses=responses(service.SurveyNotFound)
)
async def verify_survey_events(
    request: Request, session: SessionDep, principal: PrincipalDep, survey_id: uuid.UUID
) -> VerifyOut:
    """Check the survey's audit hash chain: every event's SHA-256 recomputed and linked."""
    row = await SurveyRepository(session).get(survey_id)
    return await verify_of(request, session, POLICY, principal, row, survey_id)
