from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from jiuzhu_kit.auth import Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.listing import DateFilter, DivisionFilter, RangeInverted, equal, in_division, in_range
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_procurement.challenge import service
from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.challenge.schemas import ChallengeIn, ChallengeOut
from jiuzhu_procurement.contractor.service import ContractorNotFound
from jiuzhu_procurement.project import service as projects
from jiuzhu_procurement.project.policy import POLICY as PROJECTS
from jiuzhu_procurement.workflow.http import TRANSITION_ERRORS, apply
from jiuzhu_procurement.workflow.lean import transition_route
from jiuzhu_procurement.workflow.schemas import TransitionIn

# A challenge is part of its project's file: same tag, same paths as before it had a folder.
router = APIRouter(tags=["projects"])

Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))]
Bidder = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR))]


@router.post(
    "/projects/{project_id}/challenges",
    response_model=ChallengeOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        projects.ProjectNotFound,
        service.ChallengeWindowClosed,
        service.ChallengeNotOpen,
        service.NotABidder,
        ContractorNotFound,
    ),
)
async def file_challenge(
    request: Request, session: SessionDep, principal: Bidder, project_id: uuid.UUID, body: ChallengeIn
) -> ChallengeOut:
    """A supplier challenges the documents (within 7 working days of their issue; any registered supplier),
    the process (from the close of bidding) or the result (within 7 working days of the award; bidders
    only), 政府采购法 52. The purchaser's reply is due 7 working days after receipt (53), a complaint
    to finance may follow until 15 working days after that (55); an open challenge holds the award."""
    c = await service.submit(
        session, request.app.state.audit, principal, project_id, body, today(), request.app.state
    )
    return ChallengeOut.model_validate(c)


@router.get(
    "/projects/{project_id}/challenges",
    response_model=list[ChallengeOut],
    responses=responses(projects.ProjectNotFound),
)
async def list_challenges(
    session: SessionDep, principal: Reader, project_id: uuid.UUID
) -> list[ChallengeOut]:
    """The challenges (质疑) filed on this project and their decisions."""
    p = await projects.get(session, principal, project_id)
    return [ChallengeOut.model_validate(c) for c in await service.of_project(session, p)]


@router.get(
    "/challenges", response_model=CursorPage[ChallengeOut], responses=responses(CursorInvalid, RangeInverted)
)
async def list_all_challenges(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    project_id: uuid.UUID | None = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^[a-z_]{1,16}$")] = None,
    contractor_uscc: Annotated[Uscc | None, Query(description="质疑供应商 (the challenger)")] = None,
    submitted_from: DateFilter = None,
    submitted_to: DateFilter = None,
) -> CursorPage[ChallengeOut]:
    """Challenges about purchases in your jurisdiction, newest first: read with their project
    (project/policy.py), so by the same readers."""
    q = in_division(
        PROJECTS.narrow_on(principal, select(Challenge), Challenge.division_code),
        Challenge.division_code,
        division_code,
    )
    q = equal(
        equal(equal(q, Challenge.project_id, project_id), Challenge.status, status_),
        Challenge.uscc,
        contractor_uscc,
    )
    q = in_range(q, Challenge.submitted_on, submitted_from, submitted_to, "submitted")
    rows = (await session.execute(keyset(q, page, Challenge.submitted_on, Challenge.id))).scalars().all()
    return cursor_page(rows, page, lambda c: (c.submitted_on, c.id), ChallengeOut.model_validate)


@router.post(
    "/challenges/{challenge_id}/transitions",
    response_model=ChallengeOut,
    responses={**TRANSITION_ERRORS, **responses(service.ChallengeNotFound)},
)
async def decide_challenge(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    challenge_id: uuid.UUID,
    body: TransitionIn,
) -> ChallengeOut:
    """Answer a challenge: uphold or dismiss, with the answer's text as the reason (政府采购法 53); an
    answer after `reply_due` is recorded as late and lets the supplier complain."""
    c = await apply(
        request,
        session,
        principal,
        service.MACHINE,
        Challenge,
        challenge_id,
        body,
        service.ChallengeNotFound,
        PROJECTS.readable,  # a challenge is read with its project
    )
    return ChallengeOut.model_validate(c)


# The transition route above, served without FastAPI in the plain case (workflow/lean.py);
# the FastAPI route stays the reference and answers whatever the lean one declines.
lean_routes = [
    transition_route(
        "/challenges/{challenge_id}/transitions",
        service.MACHINE,
        Challenge,
        service.ChallengeNotFound,
        PROJECTS.readable,
        ChallengeOut.model_validate,
    ),
]
