from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from jiuzhu_kit.auth import Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.listing import DateFilter, DivisionFilter, RangeInverted, equal, in_division, in_range
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_procurement.challenge.policy import ChallengeNotFound
from jiuzhu_procurement.complaint import machine, service
from jiuzhu_procurement.complaint.models import Complaint
from jiuzhu_procurement.complaint.policy import NotSameLevelFinance
from jiuzhu_procurement.complaint.schemas import ComplaintIn, ComplaintOut
from jiuzhu_procurement.project import service as projects
from jiuzhu_procurement.project.machine import ProcurementSuspended
from jiuzhu_procurement.project.policy import POLICY as PROJECTS
from jiuzhu_procurement.workflow.http import TRANSITION_ERRORS, apply
from jiuzhu_procurement.workflow.schemas import TransitionIn

router = APIRouter(tags=["complaints"])

Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR))]
Supplier = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR))]
ComplaintStatus = Literal["filed", "suspended", "dismissed", "upheld", "award_void"]


@router.post(
    "/complaints",
    response_model=ComplaintOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ChallengeNotFound, service.ComplaintTooEarly, service.ComplaintWindowClosed, service.ComplaintExists
    ),
)
async def file_complaint(
    request: Request, session: SessionDep, principal: Supplier, body: ComplaintIn
) -> ComplaintOut:
    """The supplier that challenged complains to the finance department at the purchaser's level: after
    an answer it is not satisfied with, or once the reply deadline passed unanswered, and until 15
    working days after that deadline (政府采购法 55). Finance decides within 30 working days (56)."""
    c = await service.file(session, request.app.state.audit, principal, body, today(), request.app.state)
    return ComplaintOut.model_validate(c)


@router.get(
    "/complaints", response_model=CursorPage[ComplaintOut], responses=responses(CursorInvalid, RangeInverted)
)
async def list_complaints(
    session: SessionDep,
    principal: Reader,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    status_: Annotated[ComplaintStatus | None, Query(alias="status")] = None,
    project_id: uuid.UUID | None = None,
    contractor_uscc: Annotated[Uscc | None, Query(description="投诉供应商 (the complainant)")] = None,
    due_from: DateFilter = None,
    due_to: DateFilter = None,
) -> CursorPage[ComplaintOut]:
    """Complaints about purchases in your jurisdiction, the earliest decision due first (finance's
    worklist); read with their project (project/policy.py)."""
    q = in_division(
        PROJECTS.narrow_on(principal, select(Complaint), Complaint.division_code),
        Complaint.division_code,
        division_code,
    )
    q = equal(
        equal(equal(q, Complaint.status, status_), Complaint.project_id, project_id),
        Complaint.uscc,
        contractor_uscc,
    )
    q = in_range(q, Complaint.decision_due, due_from, due_to, "due")
    rows = (
        (await session.execute(keyset(q, page, Complaint.decision_due, Complaint.id, descending=False)))
        .scalars()
        .all()
    )
    return cursor_page(rows, page, lambda c: (c.decision_due, c.id), ComplaintOut.model_validate)


@router.get(
    "/projects/{project_id}/complaints",
    response_model=list[ComplaintOut],
    responses=responses(projects.ProjectNotFound),
    tags=["projects"],
)
async def project_complaints(
    session: SessionDep, principal: Reader, project_id: uuid.UUID
) -> list[ComplaintOut]:
    """The complaints (投诉) to finance about this project and their decisions."""
    p = await projects.get(session, principal, project_id)
    return [ComplaintOut.model_validate(c) for c in await service.of_project(session, p)]


@router.post(
    "/complaints/{complaint_id}/transitions",
    response_model=ComplaintOut,
    responses={
        **TRANSITION_ERRORS,
        **responses(
            service.ComplaintNotFound,
            NotSameLevelFinance,
            machine.SuspensionTooLong,
            machine.OutcomeNotApplicable,
            ProcurementSuspended,
        ),
    },
)
async def decide_complaint(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    complaint_id: uuid.UUID,
    body: TransitionIn,
) -> ComplaintOut:
    """Finance at the purchaser's level handles the complaint (`GET /workflows/complaint`): suspend the
    purchase for up to 30 days (`{"to": "suspended", "data": {"days": 20}}`, 政府采购法 57), resume it,
    and decide with the decision's text as the reason: `dismissed`, `upheld` with the step the purchase
    goes back to (`{"redo_from": "scoring"}`), or `award_void`. The project moves accordingly."""
    c = await apply(
        request,
        session,
        principal,
        service.MACHINE,
        Complaint,
        complaint_id,
        body,
        service.ComplaintNotFound,
        PROJECTS.readable,
    )
    return ComplaintOut.model_validate(c)
