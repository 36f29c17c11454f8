"""The documents of a recipient survey (jiuzhu_kit.documents): read by the survey's readers (its
policy), filed by the purchaser's side that runs it (the questionnaire, the sampling record)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.survey.models import Survey
from jiuzhu_evaluation.survey.policy import POLICY, SurveyNotFound
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.documents.api import Attachable, Owner, add_document_routes

router = APIRouter(tags=["surveys"])


async def read_survey(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    try:
        k: uuid.UUID | None = uuid.UUID(key)
    except ValueError:
        k = None
    s = POLICY.check(principal, await session.get(Survey, k) if k else None)
    return Owner("survey", str(s.id), s.purchaser_division, POLICY.aggregate, str(s.id))


async def write_survey(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    if not principal.has(Role.ADMIN, Role.BUREAU, Role.TOWNSHIP):
        raise RoleForbidden()
    return await read_survey(request, session, principal, key)


ATTACHABLE = Attachable(
    "survey",
    "/surveys/{survey_id}",
    "surveys",
    read_survey,
    write_survey,
    (SurveyNotFound,),
    params={"survey_id": ("问卷 id。Survey id", "3f2b6c1e-8a4d-4e2f-9b7a-1c5d2e8f0a61")},
)
add_document_routes(router, ATTACHABLE)
