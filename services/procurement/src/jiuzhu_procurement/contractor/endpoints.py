from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from jiuzhu_kit.auth import Principal, PrincipalDep, Role, RoleForbidden, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.pagination import Page, PageParams, page_params
from jiuzhu_procurement.contractor import service
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


@router.get("/contractors", response_model=Page[ContractorOut])
async def list_contractors(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[ContractorOut]:
    """The contractors (承接主体) of the national registry, with their debarment state."""
    rows, total = await service.search(session, q, page.limit, page.offset)
    items = [service.out(c, principal, await current_debarment(session, c.uscc, today())) for c in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/contractors/{uscc}", response_model=ContractorOut, responses=responses(service.ContractorNotFound)
)
async def get_contractor(session: SessionDep, principal: PrincipalDep, uscc: Uscc) -> ContractorOut:
    """One contractor by its unified social credit code, with its debarments."""
    c = await service.get_by_uscc(session, uscc)
    return service.out(c, principal, await current_debarment(session, c.uscc, today()))


add_event_routes(router, "/contractors/{uscc}", POLICY, service.find_by_uscc)
