from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from jiuzhu_kit import httpcache
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import ValidationFailed, responses
from jiuzhu_kit.listing import DivisionFilter
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_params
from jiuzhu_kit.rules.book import book_of
from jiuzhu_procurement.expert import publish, repository, service
from jiuzhu_procurement.expert.policy import POLICY, READERS, ExpertDrawNotFound, ExpertNotFound
from jiuzhu_procurement.expert.schemas import (
    CommitmentIn,
    ConflictIn,
    DrawOut,
    ExpertIn,
    ExpertOut,
    PublicDrawOut,
    RevealIn,
    StatusIn,
)
from jiuzhu_procurement.project.policy import READERS as PROJECT_READERS
from jiuzhu_procurement.project.policy import ProjectNotFound
from jiuzhu_procurement.workflow.http import add_event_routes, by_uuid

router = APIRouter(tags=["experts"])

Manager = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.FINANCE))]
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Purchaser = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP))]
ProjectReader = Annotated[Principal, Depends(require_roles(*PROJECT_READERS))]
Round = Annotated[
    int | None,
    Query(alias="round", ge=1, le=1000, description="the project's round; default: the current one"),
]


@router.post(
    "/experts",
    response_model=ExpertOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(JurisdictionForbidden, ValidationFailed),
)
async def register_expert(
    request: Request, session: SessionDep, principal: Manager, body: ExpertIn
) -> ExpertOut:
    """Register a review expert (评审专家) in the pool of a jurisdiction you cover (bureau or finance).
    The name is personal data: only the pool's managers see it in full."""
    e = await service.register(session, request.app.state.audit, principal, body)
    return service.out(e, principal)


@router.get("/experts", response_model=CursorPage[ExpertOut], responses=responses(CursorInvalid))
async def list_experts(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    field: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    active: bool | None = None,
) -> CursorPage[ExpertOut]:
    """The experts of the pools in your jurisdiction (`division_code`: the pools in that subtree),
    names masked unless you manage the pool."""
    return await service.search(session, principal, page, division_code, field, active)


@router.get("/experts/{expert_id}", response_model=ExpertOut, responses=responses(ExpertNotFound))
async def get_expert(session: SessionDep, principal: Reader, expert_id: uuid.UUID) -> ExpertOut:
    """One evaluation expert (评审专家) of the pool: specialities, status and declared conflicts."""
    return service.out(await service.get(session, principal, expert_id), principal)


@router.post(
    "/experts/{expert_id}/conflicts",
    response_model=ExpertOut,
    responses=responses(ExpertNotFound, ValidationFailed),
)
async def declare_conflict(
    request: Request, session: SessionDep, principal: Manager, expert_id: uuid.UUID, body: ConflictIn
) -> ExpertOut:
    """Record a conflict of interest the expert declared (财库〔2016〕198号 16): with an organisation by its
    credit code, or with a purchaser by its division. A tied expert is never drawn for it."""
    e = await service.declare_conflict(session, request.app.state.audit, principal, expert_id, body)
    return service.out(e, principal)


@router.post("/experts/{expert_id}/status", response_model=ExpertOut, responses=responses(ExpertNotFound))
async def set_expert_status(
    request: Request, session: SessionDep, principal: Manager, expert_id: uuid.UUID, body: StatusIn
) -> ExpertOut:
    """Deactivate (or reactivate) an expert, with the reason: an inactive expert is not drawn."""
    e = await service.set_status(session, request.app.state.audit, principal, expert_id, body)
    return service.out(e, principal)


add_event_routes(router, "/experts/{expert_id}", POLICY, by_uuid(repository.load))


@router.post(
    "/projects/{project_id}/expert-draw/commitment",
    response_model=DrawOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ProjectNotFound,
        service.DrawCommitmentClosed,
        service.DrawAlreadyCommitted,
        service.ExpertPanelInvalid,
        service.ExpertPoolTooSmall,
    ),
)
async def commit_draw(
    request: Request, session: SessionDep, principal: Purchaser, project_id: uuid.UUID, body: CommitmentIn
) -> DrawOut:
    """Before bids close, commit to the expert draw: publish sha256 of your secret seed and the panel's
    composition (judged by the panel rule in force on the announcement date: 财政部令第87号 47, 第74号令 7).
    The service adds a seed of its own (its hash is published too) and freezes the pool."""
    d = await service.commit(session, request.app.state.audit, book_of(request), principal, project_id, body)
    return await publish.draw_out(session, d, principal)


@router.post(
    "/projects/{project_id}/expert-draw",
    response_model=DrawOut,
    responses=responses(
        ProjectNotFound,
        ExpertDrawNotFound,
        service.DrawBeforeBidsClose,
        service.DrawTooLate,
        service.DrawDone,
        service.DrawSeedMismatch,
        service.ExpertPoolTooSmall,
    ),
)
async def draw_experts(
    request: Request, session: SessionDep, principal: Purchaser, project_id: uuid.UUID, body: RevealIn
) -> DrawOut:
    """After bids close, reveal your seed and draw the experts: those tied to a bidder or to the
    purchaser are excluded (回避) with their reasons; the panel follows from the published record
    alone (`GET /public/projects/{project_id}/expert-draw`)."""
    d = await service.reveal(session, request.app.state.audit, principal, project_id, body)
    return await publish.draw_out(session, d, principal)


@router.get(
    "/projects/{project_id}/expert-draw",
    response_model=DrawOut,
    responses=responses(ProjectNotFound, ExpertDrawNotFound),
)
async def get_draw(
    session: SessionDep, principal: ProjectReader, project_id: uuid.UUID, round_: Round = None
) -> DrawOut:
    """The draw with the drawn experts (names masked unless you manage their pool)."""
    d = await service.of_project(session, principal, project_id, round_)
    return await publish.draw_out(session, d, principal)


@router.get(
    "/public/projects/{project_id}/expert-draw",
    response_model=PublicDrawOut,
    responses={**responses(ExpertDrawNotFound), **httpcache.documented(httpcache.LIST)},
)
async def get_public_draw(
    request: Request, response: Response, session: SessionDep, project_id: uuid.UUID, round_: Round = None
) -> Any:
    """Public, no token: the commitments from the moment they are made; after the draw the seeds, the
    frozen pool, the exclusions with their reasons (no names) and the panel — enough for anyone to
    recompute the panel (`algorithm_steps`). Cacheable: the ETag is the published draw itself."""
    out = publish.public_out(await service.published(session, project_id, round_))
    stamp = httpcache.Stamp.of("expert-draw", out.model_dump(mode="json"))
    return httpcache.answer(request, response, stamp, httpcache.LIST) or out
