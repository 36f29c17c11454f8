"""The documents of an evaluation round (jiuzhu_kit.documents): read by the round's readers (its
policy: the purchaser's oversight, the contractor, the third party named, townships under the
purchaser), filed by the purchaser's side, the third party and the contractor (its evidence); and
the round's evaluation report, generated as .docx from its result (report.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round.models import EvaluationRound
from jiuzhu_evaluation.round.policy import POLICY, RoundNotFound
from jiuzhu_evaluation.round.purchaser import PurchaserUnavailable
from jiuzhu_evaluation.round.report import GENERATOR, RoundResultNotReady
from jiuzhu_kit.auth import Principal, Role, RoleForbidden, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.documents.api import Attachable, DocumentOut, Owner, add_document_routes
from jiuzhu_kit.documents.generated import generate
from jiuzhu_kit.errors import responses

router = APIRouter(tags=["rounds"])

WRITERS = (Role.ADMIN, Role.BUREAU, Role.TOWNSHIP, Role.EVALUATOR, Role.CONTRACTOR)
Purchaser = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP))]


def _uuid(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key)
    except ValueError:
        return None


def owner_of(r: EvaluationRound) -> Owner:
    return Owner("round", str(r.id), r.purchaser_division, POLICY.aggregate, str(r.id))


async def read_round(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    k = _uuid(key)
    return owner_of(POLICY.check(principal, await session.get(EvaluationRound, k) if k else None))


async def write_round(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    if not principal.has(*WRITERS):
        raise RoleForbidden()
    return await read_round(request, session, principal, key)


ATTACHABLE = Attachable(
    "round",
    "/rounds/{round_id}",
    "rounds",
    read_round,
    write_round,
    (RoundNotFound,),
    params={"round_id": ("评价轮次 id。Evaluation round id", "3f2b6c1e-8a4d-4e2f-9b7a-1c5d2e8f0a61")},
)
add_document_routes(router, ATTACHABLE)


@router.post(
    "/rounds/{round_id}/documents/generated",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(RoundNotFound, RoundResultNotReady, PurchaserUnavailable, RoleForbidden),
)
async def generate_evaluation_report(
    request: Request, session: SessionDep, principal: Purchaser, round_id: uuid.UUID
) -> DocumentOut:
    """The round's evaluation report as .docx (templates/evaluation_report.yaml: the dimensions'
    scores, each party's, the total and the grade), stored as the round's document: a new version
    superseding the last when the result changed (a revision after an appeal), else the same; once
    generated, every later write to the round regenerates it before it commits. The purchaser is
    named by procurement's registry: 503 `PURCHASER_UNAVAILABLE` when procurement cannot answer."""
    r = POLICY.check(principal, await session.get(EvaluationRound, round_id))
    return await generate(request, session, principal, GENERATOR, str(r.id))
