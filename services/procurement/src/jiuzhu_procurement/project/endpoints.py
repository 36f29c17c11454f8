from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic_core import to_json
from sqlalchemy import Select, func, select

from jiuzhu_kit.auth import JurisdictionForbidden, Principal, PrincipalDep, Role, RoleForbidden, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep, get_uow
from jiuzhu_kit.documents.api import DocumentOut
from jiuzhu_kit.documents.generated import generate
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.listing import RangeInverted
from jiuzhu_kit.pagination import (
    CursorInvalid,
    CursorPage,
    CursorParams,
    cursor_page,
    cursor_params,
    keyset,
)
from jiuzhu_kit.rules.book import book_of
from jiuzhu_procurement.catalogue.service import PurchaseNotAllowed
from jiuzhu_procurement.contractor.service import ContractorNotEligible
from jiuzhu_procurement.debarment.service import ContractorDebarred
from jiuzhu_procurement.plan.service import PlanNotFound
from jiuzhu_procurement.project import machine, notice, service
from jiuzhu_procurement.project.filters import BidFilters, ProjectFilters, StatusCountsOut
from jiuzhu_procurement.project.models import Bid, Project
from jiuzhu_procurement.project.policy import POLICY, READERS
from jiuzhu_procurement.project.ranking import RankingOut
from jiuzhu_procurement.project.schemas import (
    BidDetailOut,
    BidIn,
    BidOut,
    BidReceiptOut,
    DeadlineExtensionIn,
    DeadlineMetIn,
    ExplanationIn,
    OverdueProjectDeadlineOut,
    ProjectIn,
    ProjectOut,
    QualificationIn,
    ScoringIn,
)
from jiuzhu_procurement.project.sealing import BidKeyUnavailable
from jiuzhu_procurement.workflow.http import TRANSITION_ERRORS, add_event_routes, apply, by_uuid
from jiuzhu_procurement.workflow.lean import transition_route
from jiuzhu_procurement.workflow.schemas import TransitionIn

router = APIRouter(tags=["projects"])

Purchaser = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP))]
Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))]
Bidder = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR))]
BidReader = Annotated[
    Principal,
    Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR, Role.CONTRACTOR)),
]


@router.post(
    "/projects",
    response_model=ProjectOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        JurisdictionForbidden,
        PurchaseNotAllowed,
        machine.BudgetExceeded,
        service.PlanYearMismatch,
        PlanNotFound,
    ),
)
async def declare_project(
    request: Request, session: SessionDep, principal: Purchaser, body: ProjectIn
) -> ProjectOut:
    """Declare a purchase (项目申报) under a plan. Judged by the rules in force on `declared_on`: the
    catalogue, the negative list (财政部令第102号 10 from 2020-03-01) and the plan's budget line."""
    p = await service.declare(
        session, request.app.state.audit, request.app.state.rules, principal, body, today()
    )
    return service.project_out(p)


@router.get(
    "/projects", response_model=CursorPage[ProjectOut], responses=responses(CursorInvalid, RangeInverted)
)
async def list_projects(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    filters: Annotated[ProjectFilters, Depends()],
) -> CursorPage[ProjectOut]:
    """Projects in your jurisdiction, newest first, filtered as a bureau searches them."""
    q = filters.apply(POLICY.narrow(principal, select(Project)))
    rows = (await session.execute(keyset(q, page, Project.created_at, Project.id))).scalars().all()
    return cursor_page(
        rows,
        page,
        lambda p: (p.created_at, p.id),
        service.project_out,
        keep=lambda p: POLICY.may_read(principal, p),
    )


@router.get("/projects/counts", response_model=StatusCountsOut, responses=responses(RangeInverted))
async def count_projects(
    session: SessionDep, principal: Reader, filters: Annotated[ProjectFilters, Depends()]
) -> StatusCountsOut:
    """Projects per status in your jurisdiction under the same filters as the list (a dashboard's
    "projects per state in my county"); statuses with none are absent."""
    per_status = cast("Select[Any]", select(Project.status, func.count()).select_from(Project))
    q = filters.apply(POLICY.narrow(principal, per_status))
    rows = (await session.execute(q.group_by(Project.status).order_by(Project.status))).all()
    counts = {str(s): int(n) for s, n in rows}
    return StatusCountsOut(total=sum(counts.values()), by_status=counts)


@router.get(
    "/projects/overdue-deadlines",
    response_model=CursorPage[OverdueProjectDeadlineOut],
    responses=responses(JurisdictionForbidden, CursorInvalid),
)
async def project_overdue_deadlines(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    on: Annotated[
        date | None, Query(description="过期的判断日，默认今天 (overdue as of this day; today by default)")
    ] = None,
    division_code: Annotated[
        DivisionCode | None,
        Query(
            description="区划代码，含其下级区划，默认你的辖区 (a division and its subtree; yours by default)"
        ),
    ] = None,
) -> CursorPage[OverdueProjectDeadlineOut]:
    """Post-award deadlines past due and not met, per purchaser: the result announced within 2 working
    days of the award (实施条例 43), the contract signed within 30 days of the notice (政府采购法 46),
    the contract published within 2 working days of signing (实施条例 50)."""
    return await service.overdue(session, principal, on or today(), division_code, page)


@router.get("/projects/{project_id}", response_model=ProjectOut, responses=responses(service.ProjectNotFound))
async def get_project(session: SessionDep, principal: Reader, project_id: uuid.UUID) -> ProjectOut:
    """One procurement project as you may see it, with the transitions you may make next."""
    return service.project_out(await service.get(session, principal, project_id))


@router.post(
    "/projects/{project_id}/transitions",
    response_model=ProjectOut,
    responses={
        **TRANSITION_ERRORS,
        **responses(
            service.ProjectNotFound,
            machine.MethodNotAllowed,
            machine.ThresholdUnverified,
            machine.AwardHeld,
            machine.SuppliersInsufficient,
            machine.PeriodTooShort,
            machine.ResponseDeadlineNotReached,
            machine.ProcurementSuspended,
            machine.PublicityRunning,
            BidKeyUnavailable,
            RoleForbidden,
            JurisdictionForbidden,
        ),
    },
)
async def transition_project(
    request: Request, principal: PrincipalDep, project_id: uuid.UUID, body: TransitionIn
) -> Response:
    """Move a project along its table (`GET /workflows/project`, with each transition's roles and payload).
    The row is locked for the transaction; anything not in the table is 409 TRANSITION_NOT_ALLOWED."""
    # The busiest write: the session comes straight from the unit of work (one dependency less to
    # solve) and the ProjectOut it builds is rendered here (FastAPI would validate it once more).
    session = get_uow(request).session
    p = await apply(
        request,
        session,
        principal,
        machine.MACHINE,
        Project,
        project_id,
        body,
        service.ProjectNotFound,
        POLICY.readable,
    )
    return Response(service.project_out(p).model_dump_json(), media_type="application/json")


@router.post(
    "/projects/{project_id}/response-deadline",
    response_model=ProjectOut,
    responses=responses(service.ProjectNotFound, service.WrongStage, machine.DeadlineNotLater),
)
async def extend_response_deadline(
    request: Request,
    session: SessionDep,
    principal: Purchaser,
    project_id: uuid.UUID,
    body: DeadlineExtensionIn,
) -> ProjectOut:
    """Extend the response deadline of an announced project, with a reason (an audited amendment of the
    announcement). It can only move later: the method's minimum period was checked at the announcement."""
    p = await service.extend_deadline(session, request.app.state.audit, principal, project_id, body)
    return service.project_out(p)


@router.post(
    "/projects/{project_id}/deadlines/{deadline_key}/fulfil",
    response_model=ProjectOut,
    responses=responses(
        service.ProjectNotFound,
        service.ProjectDeadlineNotFound,
        service.DeadlineNotManual,
        service.DeadlineAlreadyMet,
        service.DeadlineDateInvalid,
    ),
)
async def fulfil_project_deadline(
    request: Request,
    session: SessionDep,
    principal: Purchaser,
    project_id: uuid.UUID,
    deadline_key: str,
    body: DeadlineMetIn,
) -> ProjectOut:
    """Record that a post-award deadline was met (`award_announcement`, `contract_publication`): once,
    on a day between its start and today; audited. Recording the announcement restarts the signing
    period from that day (the notice goes out with it)."""
    p = await service.deadline_met(
        session,
        request.app.state.audit,
        principal,
        project_id,
        deadline_key,
        body.on,
        today(),
        request.app.state.calendar_store,
    )
    return service.project_out(p)


@router.post(
    "/projects/{project_id}/bids",
    response_model=BidReceiptOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        service.ProjectNotFound,
        service.WrongStage,
        service.DuplicateBid,
        ContractorDebarred,
        ContractorNotEligible,
        BidKeyUnavailable,
    ),
)
async def submit_bid(
    request: Request, session: SessionDep, principal: Bidder, project_id: uuid.UUID, body: BidIn
) -> BidReceiptOut:
    """A registered, not debarred contractor submits its bid (token `org` = its code) while announced.

    The bid is **sealed** until the opening (`close_bidding`): nobody but its bidder sees the price
    or who bid, and the database holds them only encrypted. The answer is a receipt with the bid's
    commitment, never the offer (read it back with `GET …/bids/mine`)."""
    b = await service.submit_bid(
        session, request.app.state.audit, request.app.state.bid_keys, principal, project_id, body, today()
    )
    return service.receipt(b)


@router.get(
    "/projects/{project_id}/bids", response_model=list[BidOut], responses=responses(service.ProjectNotFound)
)
async def list_bids(session: SessionDep, principal: Reader, project_id: uuid.UUID) -> list[BidOut]:
    """This round's bids (the purchaser's view). Before the opening each one shows only that it was
    received and when (`sealed: true`); bidders and prices after the opening."""
    p = await service.get(session, principal, project_id)
    return [service.bid_out(b) for b in await service.bids(session, p)]


@router.get("/bids", response_model=CursorPage[BidOut], responses=responses(CursorInvalid, RangeInverted))
async def list_all_bids(
    session: SessionDep,
    principal: BidReader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    filters: Annotated[BidFilters, Depends()],
) -> CursorPage[BidOut]:
    """Bids as the sealed-bid rules let you see them, newest first. The purchaser's side: the bids of
    projects in its jurisdiction, a sealed one showing only that it was received and when. A
    contractor: its own opened bids (its sealed ones are read per project, `GET …/bids/mine`).
    Nothing of a sealed bid is stored in clear, so no filter can find one by bidder or price."""
    q = filters.apply(cast("Select[Any]", select(Bid).join(Project, Project.id == Bid.project_id)))
    if principal.has(Role.ADMIN, *READERS):
        q = POLICY.narrow(principal, q)
    else:  # a contractor (BidReader): its own, opened
        q = q.where(Bid.uscc == (principal.org or "").upper(), Bid.opened_at.is_not(None))
    rows = (await session.execute(keyset(q, page, Bid.submitted_at, Bid.id))).scalars().all()
    return cursor_page(rows, page, lambda b: (b.submitted_at, b.id), service.bid_out)


@router.get(
    "/projects/{project_id}/bids/mine",
    response_model=BidDetailOut,
    responses=responses(service.ProjectNotFound, service.BidNotFound, BidKeyUnavailable),
)
async def get_my_bid(
    request: Request, session: SessionDep, principal: Bidder, project_id: uuid.UUID
) -> BidDetailOut:
    """Your own live bid of the current round (token `org`), whole, sealed or not."""
    return await service.own_bid(session, request.app.state.bid_keys, principal, project_id)


@router.get(
    "/projects/{project_id}/opening",
    response_model=dict[str, Any],
    responses=responses(service.ProjectNotFound, service.BidSealed),
)
async def get_opening_record(
    session: SessionDep, principal: BidReader, project_id: uuid.UUID
) -> dict[str, Any]:
    """The opening record (开标记录) of the current round: who bid, the prices read out, and each
    bid's salt and commitment, so that anyone holding it can recompute the commitments in the
    project's history. For the purchaser's side and for the bidders it reads out."""
    return await service.opening(session, principal, project_id)


@router.get(
    "/projects/{project_id}/bids/{bid_id}",
    response_model=BidDetailOut,
    responses=responses(service.ProjectNotFound, service.BidNotFound, service.BidSealed, BidKeyUnavailable),
)
async def get_bid(
    request: Request, session: SessionDep, principal: BidReader, project_id: uuid.UUID, bid_id: uuid.UUID
) -> BidDetailOut:
    """One bid. Its bidder sees it whole at any time; the purchaser's side once opened (before: 409
    BID_SEALED); nobody else."""
    return await service.bid_detail(session, request.app.state.bid_keys, principal, project_id, bid_id)


@router.put(
    "/projects/{project_id}/bids/{bid_id}",
    response_model=BidReceiptOut,
    responses=responses(
        service.ProjectNotFound,
        service.BidNotFound,
        service.WrongStage,
        service.BidWithdrawn,
        ContractorDebarred,
        BidKeyUnavailable,
    ),
)
async def replace_bid(
    request: Request,
    session: SessionDep,
    principal: Bidder,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: BidIn,
) -> BidReceiptOut:
    """Replace your sealed bid before the opening (财政部令第87号 34): a new envelope and commitment."""
    b = await service.replace_bid(
        session,
        request.app.state.audit,
        request.app.state.bid_keys,
        principal,
        project_id,
        bid_id,
        body,
        today(),
    )
    return service.receipt(b)


@router.post(
    "/projects/{project_id}/bids/{bid_id}/withdrawal",
    response_model=BidReceiptOut,
    responses=responses(
        service.ProjectNotFound,
        service.BidNotFound,
        service.WrongStage,
        service.BidWithdrawn,
        BidKeyUnavailable,
    ),
)
async def withdraw_bid(
    request: Request, session: SessionDep, principal: Bidder, project_id: uuid.UUID, bid_id: uuid.UUID
) -> BidReceiptOut:
    """Withdraw your bid before the opening (财政部令第87号 34): it is never opened; you may bid again."""
    b = await service.withdraw_bid(
        session, request.app.state.audit, request.app.state.bid_keys, principal, project_id, bid_id
    )
    return service.receipt(b)


@router.post(
    "/projects/{project_id}/bids/{bid_id}/qualification",
    response_model=BidOut,
    responses=responses(service.ProjectNotFound, service.BidNotFound, service.WrongStage),
)
async def qualify_bid(
    request: Request,
    session: SessionDep,
    principal: Purchaser,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: QualificationIn,
) -> BidOut:
    """Record the qualification review of one bid (资格审查)."""
    b = await service.qualify(session, request.app.state.audit, principal, project_id, bid_id, body)
    return service.bid_out(b)


@router.post(
    "/projects/{project_id}/scoring",
    response_model=RankingOut,
    responses=responses(service.ProjectNotFound, service.WrongStage, service.PanelInvalid),
)
async def score_project(
    request: Request, session: SessionDep, principal: Purchaser, project_id: uuid.UUID, body: ScoringIn
) -> Response:
    """Record the panel's scores and compute the full ranking (comprehensive scoring, 财政部令第87号 55)."""
    return _ranking(
        await service.score(
            session,
            request.app.state.audit,
            principal,
            project_id,
            body,
            book_of(request),
            request.app.state.settings,
            request.headers.get("authorization"),
        )
    )


@router.get(
    "/projects/{project_id}/ranking",
    response_model=RankingOut,
    responses=responses(service.ProjectNotFound),
)
async def get_ranking(session: SessionDep, principal: Reader, project_id: uuid.UUID) -> Response:
    """The ranking with each score's breakdown (price, panel, history; base price and formula)."""
    return _ranking((await service.get(session, principal, project_id)).scoring or {})


@router.post(
    "/projects/{project_id}/bids/{bid_id}/explanation",
    response_model=RankingOut,
    responses=responses(service.ProjectNotFound, service.BidNotFound, service.WrongStage),
)
async def explain_low_price(
    request: Request,
    session: SessionDep,
    principal: Purchaser,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: ExplanationIn,
) -> Response:
    """Record an abnormally low bid's explanation and the panel's acceptance (财政部令第87号 60)."""
    return _ranking(
        await service.explain(session, request.app.state.audit, principal, project_id, bid_id, body)
    )


def _ranking(stored: dict[str, Any]) -> Response:
    """The ranking as stored and computed (its bytes unchanged); `RankingOut` is its contract."""
    return Response(to_json(stored), media_type="application/json")


@router.post(
    "/projects/{project_id}/documents/generated",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(service.ProjectNotFound, notice.AwardNotMade, RoleForbidden),
)
async def generate_award_notice(
    request: Request, session: SessionDep, principal: Purchaser, project_id: uuid.UUID
) -> DocumentOut:
    """The award notice as .docx from the project's award (templates/award_notice.yaml), stored as
    the project's `awardNotice` document: a new version when the award changed, else the same. Once
    generated, later writes to the project regenerate it before they commit."""
    p = await service.get(session, principal, project_id)
    return await generate(request, session, principal, notice.GENERATOR, str(p.id))


add_event_routes(router, "/projects/{project_id}", POLICY, by_uuid(service.load))

# The transition route above, served without FastAPI in the plain case (workflow/lean.py);
# the FastAPI route stays the reference and answers whatever the lean one declines.
lean_routes = [
    transition_route(
        "/projects/{project_id}/transitions",
        machine.MACHINE,
        Project,
        service.ProjectNotFound,
        POLICY.readable,
        service.project_out,
    ),
]
