"""The recipients' side of a survey, no login (seed 001 一(六); seed 004: village committees collect
the answers): the survey page, finding a survey by its one-time code, answering once; and a survey's
aggregates for everyone once its round's result is published.

The code is the credential: it is sent in a body, never in a URL (URLs end up in logs). Codes are
keyed hashes per survey (survey/service.py `code_hash`), so a code alone is found by hashing it for
each open survey: cheap for the thousands of surveys a province has open at once.
"""

from __future__ import annotations

import uuid
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from jiuzhu_evaluation.round.models import EvaluationRound
from jiuzhu_evaluation.round.policy import POLICY as ROUNDS
from jiuzhu_evaluation.survey import service, stats
from jiuzhu_evaluation.survey.endpoints import _limits, _pepper
from jiuzhu_evaluation.survey.policy import SurveyNotFound
from jiuzhu_evaluation.survey.ratelimit import RateLimited
from jiuzhu_evaluation.survey.repository import SurveyRepository
from jiuzhu_evaluation.survey.schemas import AnswerIn, Code, IntakeOut, SurveyResultsOut
from jiuzhu_kit import httpcache
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses

router = APIRouter(prefix="/public", tags=["public"])
PAGE = files("jiuzhu_evaluation.survey").joinpath("page.html").read_bytes()
PAGE_TAG = httpcache.Stamp.of("survey-page", PAGE.decode())


class CodeIn(BaseModel):
    """答卷码 A one-time survey code to look up."""

    model_config = ConfigDict(extra="forbid")

    code: Code = Field(examples=["ABCD-EFGH-JKMN-PQRS"])
    survey_id: uuid.UUID | None = Field(default=None, description="when known (a scanned link carries it)")


class QuestionOut(BaseModel):
    """问题 A survey question as respondents see it."""

    key: str = Field(examples=["attitude"])
    text: str = Field(examples=["您对社工的服务态度满意吗？"])


class SurveyForm(BaseModel):
    """What a recipient answers: no contract, contractor or person in it."""

    survey_id: uuid.UUID
    title: str = Field(examples=["服务对象满意度调查"])
    points: int = Field(examples=[5], description="answers run 1 (very dissatisfied) … points")
    questions: list[QuestionOut]


@router.get("/survey", response_class=HTMLResponse, responses=httpcache.documented(httpcache.RECORD))
async def survey_page(request: Request) -> Response:
    """The survey page (问卷填写): plain HTML, CSS and a little JavaScript, one request, mobile first.
    It calls the two routes below, relative to itself."""
    response = Response(content=PAGE, media_type="text/html; charset=utf-8")
    hit = httpcache.answer(request, response, PAGE_TAG, httpcache.RECORD)
    return hit or response


@router.post(
    "/surveys/lookup",
    response_model=SurveyForm,
    responses=responses(service.CodeInvalid, service.CodeUsed, service.SurveyClosed, RateLimited),
)
async def lookup_survey_code(request: Request, session: SessionDep, body: CodeIn) -> SurveyForm:
    """The survey a one-time code belongs to, with its questions; a wrong code → 400
    SURVEY_CODE_INVALID, a used one → 409 SURVEY_CODE_USED, its survey closed → 409 SURVEY_CLOSED."""
    await _limit(request, body.survey_id)
    repo = SurveyRepository(session)
    pepper = _pepper(request)
    ids = [body.survey_id] if body.survey_id is not None else await repo.open_survey_ids()
    found = await repo.find_code({service.code_hash(pepper, sid, body.code): sid for sid in ids})
    if found is None:
        raise service.CodeInvalid()
    sid, used = found
    if used:
        raise service.CodeUsed()
    s = await service.get(session, None, sid)
    if s.status != "open":
        raise service.SurveyClosed()
    return SurveyForm(
        survey_id=s.id,
        title=s.title,
        points=s.points,
        questions=[QuestionOut(key=q["key"], text=q["text"]) for q in s.questions],
    )


@router.post(
    "/surveys/{survey_id}/responses",
    response_model=IntakeOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        SurveyNotFound,
        service.CodeInvalid,
        service.CodeUsed,
        service.SurveyClosed,
        service.AnswersInvalid,
        RateLimited,
    ),
)
async def answer_survey_with_code(
    request: Request, session: SessionDep, survey_id: uuid.UUID, body: AnswerIn
) -> IntakeOut:
    """One answer with a one-time code: the same intake as `POST /surveys/{id}/responses`."""
    await _limit(request, survey_id)
    return await service.intake_one(session, request.app.state.audit, _pepper(request), survey_id, body)


@router.get(
    "/surveys/{survey_id}/results",
    response_model=SurveyResultsOut,
    responses={**responses(SurveyNotFound), **httpcache.documented(httpcache.RECORD)},
)
async def published_survey_results(
    request: Request, response: Response, session: SessionDep, survey_id: uuid.UUID
) -> Any:
    """A survey's aggregates (rate, mean, share satisfied, intervals) once the result of its round
    is published; before that it looks absent (404 SURVEY_NOT_FOUND)."""
    s = await SurveyRepository(session).get(survey_id)
    r = None
    if s is not None:
        r = (
            await session.execute(
                select(EvaluationRound).where(
                    EvaluationRound.contract_id == s.contract_id,
                    EvaluationRound.period == s.period,
                    ROUNDS.published(),
                )
            )
        ).scalar_one_or_none()
    if s is None or r is None:
        raise SurveyNotFound()
    # Closed when its round closed (round/service.py): the aggregates no longer move.
    stamp = httpcache.Stamp.of("survey-results", s.id, s.status, r.id, r.version)
    if (hit := httpcache.answer(request, response, stamp, httpcache.RECORD)) is not None:
        return hit
    return await stats.survey_stats(session, s)


async def _limit(request: Request, survey_id: uuid.UUID | None) -> None:
    """The service's own per-address limit on code attempts (beside the gateway's), shared by the
    replicas like the answer route's."""
    client = request.client.host if request.client else "?"
    await _limits(request).answer.enforce(client, str(survey_id or "lookup"))
