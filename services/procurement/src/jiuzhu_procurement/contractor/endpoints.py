from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from jiuzhu_kit.auth import Principal, PrincipalDep, Role, RoleForbidden, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.listing import DivisionFilter, equal, in_division, matching
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_procurement.contractor import service
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.contractor.policy import POLICY
from jiuzhu_procurement.contractor.schemas import ContractorIn, ContractorOut
from jiuzhu_procurement.debarment.service import current_debarment
from jiuzhu_procurement.workflow.http import add_event_routes

router = APIRouter(tags=["contractors"])

Registrar = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR, Role.BUREAU))]


@router.post(
    "/contractors",
    response_model=ContractorOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        service.InvalidUsccError, service.ContractorNotEligible, service.ContractorExists, RoleForbidden
    ),
)
async def register_contractor(
    request: Request, session: SessionDep, principal: Registrar, body: ContractorIn
) -> ContractorOut:
    """Register a contractor: the code's check character is verified (GB 32100-2015), the entity type is
    derived from it and must be one that may contract (社会组织、公益二类事业单位、企业)."""
    c = await service.register(session, request.app.state.audit, principal, body)
    return service.out(c, principal, None)


@router.get("/contractors", response_model=CursorPage[ContractorOut], responses=responses(CursorInvalid))
async def list_contractors(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="名称或统一社会信用代码")
    ] = None,
    division_code: DivisionFilter = None,
    entity_type: Annotated[str | None, Query(pattern="^[a-z_]{1,40}$")] = None,
    small_enterprise: bool | None = None,
) -> CursorPage[ContractorOut]:
    """The national contractor registry by name (personal data masked by contractor/policy.py)."""
    query = in_division(POLICY.narrow(principal, select(Contractor)), Contractor.division_code, division_code)
    query = matching(query, q, Contractor.name, Contractor.uscc)
    query = equal(
        equal(query, Contractor.entity_type, entity_type), Contractor.small_enterprise, small_enterprise
    )
    rows = (
        (await session.execute(keyset(query, page, Contractor.name, Contractor.id, descending=False)))
        .scalars()
        .all()
    )
    day = today()
    debarred = {c.uscc: await current_debarment(session, c.uscc, day) for c in rows[: page.limit]}
    return cursor_page(
        rows, page, lambda c: (c.name, c.id), lambda c: service.out(c, principal, debarred[c.uscc])
    )


@router.get(
    "/contractors/{uscc}", response_model=ContractorOut, responses=responses(service.ContractorNotFound)
)
async def get_contractor(session: SessionDep, principal: PrincipalDep, uscc: Uscc) -> ContractorOut:
    """One contractor by its unified social credit code, with its debarments."""
    c = await service.get_by_uscc(session, uscc)
    return service.out(c, principal, await current_debarment(session, c.uscc, today()))


add_event_routes(router, "/contractors/{uscc}", POLICY, service.find_by_uscc)
