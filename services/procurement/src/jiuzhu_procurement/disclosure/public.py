"""Public lists (no token) for portals such as "e 龙岩": announcements, results, contracts and the
debarments in force.

Only what procurement law makes public; natural persons' names and phone numbers are masked by the
aggregates' read policies (个人信息保护法 28). Each list filters by division subtree
(`division_code`), a date range (`<date>_from`/`<date>_to`), method and status, pages with keyset
cursors, and is cacheable: a strong ETag from the filter, the page position and each listed row's
revision (jiuzhu_kit.httpcache), `If-None-Match` → 304.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, select

from jiuzhu_kit import httpcache
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.listing import RangeInverted, equal, in_division, in_range
from jiuzhu_kit.money import Money
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_procurement.contract import policy as contracts_policy
from jiuzhu_procurement.contract.models import Contract
from jiuzhu_procurement.contractor import policy as contractors_policy
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.debarment.models import Debarment
from jiuzhu_procurement.disclosure import ocds
from jiuzhu_procurement.project import methods
from jiuzhu_procurement.project.models import Project
from jiuzhu_procurement.project.schemas import Method

router = APIRouter(prefix="/public", tags=["public"])
PUBLIC_STATES = ocds.AFTER_TENDER
CONTRACT_STATES = ("signed", "terminated", "taken_over", "completed")
LONGYAN = "350802"

Division = Annotated[
    DivisionCode | None,
    Query(description="只列该区划及其下级 (subtree of a GB/T 2260 code)", examples=[LONGYAN]),
]
From = Annotated[date | None, Query(description="first day, included", examples=["2026-01-01"])]
To = Annotated[date | None, Query(description="last day, included", examples=["2026-12-31"])]
Cursor = Annotated[CursorParams, Depends(cursor_params)]
ERRORS = responses(RangeInverted, CursorInvalid)


def _filters(request: Request) -> list[tuple[str, str]]:
    """The filter as sent (sorted): part of each list's ETag."""
    return sorted(request.query_params.multi_items())


class AnnouncementOut(BaseModel):
    """采购公告 A procurement announcement as the public lists show it."""

    project_id: uuid.UUID
    ocid: str = Field(examples=["ocds-jiuzhu-0b5c…"])
    title: str = Field(examples=["新罗区社会救助经办服务采购"])
    division_code: str = Field(examples=[LONGYAN])
    method: str | None = Field(examples=["open_tender"])
    method_zh: str | None = Field(examples=["公开招标"])
    budget: Money = Field(examples=["1200000.00"])
    items: list[str]
    announced_on: date | None
    status: str = Field(examples=["announced"])


class ResultOut(BaseModel):
    """成交结果公告 An award result as the public lists show it."""

    project_id: uuid.UUID
    title: str
    division_code: str = Field(examples=[LONGYAN])
    method: str | None = Field(examples=["open_tender"])
    method_zh: str | None
    status: str
    supplier_name: str
    supplier_uscc: str
    amount: Money = Field(examples=["1150000.00"])
    awarded_on: date
    challenge_deadline: date | None
    ranking: list[dict[str, Any]] = Field(description="each bidder's rank, name, total score and status")


class PublicContractOut(BaseModel):
    """合同公告 A signed contract as the public lists show it."""

    contract_id: uuid.UUID
    project_id: uuid.UUID
    subject: str
    division_code: str = Field(examples=[LONGYAN])
    contractor_name: str
    contractor_uscc: str
    price: Money = Field(examples=["1150000.00"])
    term_start: date
    term_end: date
    signed_on: date | None
    status: str = Field(examples=["signed"])
    parties: list[dict[str, Any]] = Field(description="contact persons and phones masked")


class PublicDebarmentOut(BaseModel):
    """禁止参加名单 A debarment in force as the public list shows it."""

    contractor_name: str
    uscc: str
    legal_representative: str | None = Field(description="masked", examples=["张*"])
    decided_by_division: str = Field(examples=[LONGYAN])
    term_years: int | None = Field(examples=[3])
    effective_from: date | None
    effective_until: date | None
    basis: str = "政府采购法 77; 闽民保〔2018〕58号 一(七)"


def _ocid(request: Request, project_id: Any) -> str:
    return f"{request.app.state.settings.ocid_prefix}-{project_id}"


def _cached(request: Request, response: Response, kind: str, keys: list[Any]) -> Response | None:
    """No Last-Modified on a list: a row leaving the filtered set would move it back in time."""
    stamp = httpcache.Stamp.of(kind, _filters(request), keys)
    return httpcache.answer(request, response, stamp, httpcache.LIST)


@router.get(
    "/announcements",
    response_model=CursorPage[AnnouncementOut],
    responses={**ERRORS, **httpcache.documented(httpcache.LIST)},
)
async def list_public_announcements(
    request: Request,
    response: Response,
    session: SessionDep,
    page: Cursor,
    division_code: Division = None,
    announced_from: From = None,
    announced_to: To = None,
    method: Annotated[Method | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=32, examples=["announced"])] = None,
) -> Any:
    """Procurement announcements (采购公告), newest first."""
    q = select(Project).where(Project.status.in_(PUBLIC_STATES), Project.announced_on.is_not(None))
    q = in_range(
        in_division(q, Project.division_code, division_code),
        Project.announced_on,
        announced_from,
        announced_to,
        "announced",
    )
    q = equal(equal(q, Project.method, method), Project.status, status)
    rows = (await session.execute(keyset(q, page, Project.announced_on, Project.id))).scalars().all()
    keys = [(p.id, p.version, p.updated_at) for p in rows]  # updated_at: any ORM write to it
    if (hit := _cached(request, response, "announcements", keys)) is not None:
        return hit
    return cursor_page(
        rows,
        page,
        lambda p: (p.announced_on, p.id),
        lambda p: AnnouncementOut(
            project_id=p.id,
            ocid=_ocid(request, p.id),
            title=p.title,
            division_code=p.division_code,
            method=p.method,
            method_zh=methods.ZH.get(p.method or ""),
            budget=p.budget,
            items=p.items,
            announced_on=p.announced_on,
            status=p.status,
        ),
    )


@router.get(
    "/results",
    response_model=CursorPage[ResultOut],
    responses={**ERRORS, **httpcache.documented(httpcache.LIST)},
)
async def list_public_results(
    request: Request,
    response: Response,
    session: SessionDep,
    page: Cursor,
    division_code: Division = None,
    awarded_from: From = None,
    awarded_to: To = None,
    method: Annotated[Method | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=32, examples=["closed"])] = None,
) -> Any:
    """Award results (成交结果公告) with each bidder's total score, newest first."""
    q = cast(
        "Select[Any]",
        select(Project, Contractor.name, Contractor.version)
        .outerjoin(Contractor, Contractor.uscc == Project.awarded_uscc)
        .where(Project.awarded_on.is_not(None), Project.status.in_(ocds.AFTER_AWARD)),
    )
    q = in_range(
        in_division(q, Project.division_code, division_code),
        Project.awarded_on,
        awarded_from,
        awarded_to,
        "awarded",
    )
    q = equal(equal(q, Project.method, method), Project.status, status)
    rows = (await session.execute(keyset(q, page, Project.awarded_on, Project.id))).all()
    keys = [(p.id, p.version, p.updated_at, v) for p, _, v in rows]
    if (hit := _cached(request, response, "results", keys)) is not None:
        return hit

    def out(row: Any) -> ResultOut:
        p, name, _ = row
        ranking = [
            {"rank": r.get("rank"), "name": r["name"], "total": r.get("total"), "status": r["status"]}
            for r in (p.scoring or {}).get("ranking", [])
        ]
        return ResultOut(
            project_id=p.id,
            title=p.title,
            division_code=p.division_code,
            method=p.method,
            method_zh=methods.ZH.get(p.method or ""),
            status=p.status,
            supplier_name=name or "",
            supplier_uscc=p.awarded_uscc or "",
            amount=p.awarded_amount or 0,
            awarded_on=p.awarded_on,
            challenge_deadline=p.challenge_deadline,
            ranking=ranking,
        )

    return cursor_page(rows, page, lambda r: (r[0].awarded_on, r[0].id), out)


@router.get(
    "/contracts",
    response_model=CursorPage[PublicContractOut],
    responses={**ERRORS, **httpcache.documented(httpcache.LIST)},
)
async def list_public_contracts(
    request: Request,
    response: Response,
    session: SessionDep,
    page: Cursor,
    division_code: Division = None,
    signed_from: From = None,
    signed_to: To = None,
    method: Annotated[Method | None, Query(description="the method of the purchase it came from")] = None,
    status: Annotated[str | None, Query(max_length=32, examples=["signed"])] = None,
) -> Any:
    """Signed contracts (合同公告), newest first; contact persons masked."""
    q = select(Contract).where(Contract.status.in_(CONTRACT_STATES), Contract.signed_on.is_not(None))
    q = in_range(
        in_division(q, Contract.division_code, division_code),
        Contract.signed_on,
        signed_from,
        signed_to,
        "signed",
    )
    if method is not None:
        q = q.where(Contract.project_id.in_(select(Project.id).where(Project.method == method)))
    q = equal(q, Contract.status, status)
    rows = (await session.execute(keyset(q, page, Contract.signed_on, Contract.id))).scalars().all()
    keys = [(c.id, c.version) for c in rows]
    if (hit := _cached(request, response, "contracts", keys)) is not None:
        return hit
    return cursor_page(
        rows,
        page,
        lambda c: (c.signed_on, c.id),
        lambda c: PublicContractOut(
            contract_id=c.id,
            project_id=c.project_id,
            subject=c.subject,
            division_code=c.division_code,
            contractor_name=c.contractor_name,
            contractor_uscc=c.contractor_uscc,
            price=c.price,
            term_start=c.term_start,
            term_end=c.term_end,
            signed_on=c.signed_on,
            status=c.status,
            parties=contracts_policy.POLICY.view(None, c).apply({"parties": c.parties})["parties"],
        ),
    )


@router.get(
    "/debarments",
    response_model=CursorPage[PublicDebarmentOut],
    responses={**ERRORS, **httpcache.documented(httpcache.LIST)},
)
async def list_public_debarments(
    request: Request,
    response: Response,
    session: SessionDep,
    page: Cursor,
    on: Annotated[date | None, Query(description="in force on this day (default today)")] = None,
    division_code: Annotated[
        DivisionCode | None, Query(description="decided by a bureau in this subtree", examples=["350800"])
    ] = None,
    effective_from: From = None,
    effective_to: To = None,
) -> Any:
    """Debarments in force on `on` (default today), nationwide, latest end first; expired ones drop
    out by date. `effective_from`/`effective_to` bound the day each took effect."""
    day = on or today()
    q = cast(  # rows of (debarment, contractor)
        "Select[Any]",
        select(Debarment, Contractor)
        .join(Contractor, Contractor.id == Debarment.contractor_id)
        .where(
            Debarment.status == "debarred",
            Debarment.effective_from <= day,
            Debarment.effective_until >= day,
        ),
    )
    q = in_range(
        in_division(q, Debarment.division_code, division_code),
        Debarment.effective_from,
        effective_from,
        effective_to,
        "effective",
    )
    rows = (await session.execute(keyset(q, page, Debarment.effective_until, Debarment.id))).all()
    keys = [day, *((d.id, d.version, c.id, c.version) for d, c in rows)]
    if (hit := _cached(request, response, "debarments", keys)) is not None:
        return hit

    def out(row: Any) -> PublicDebarmentOut:
        d, c = row
        return PublicDebarmentOut(
            contractor_name=c.name,
            uscc=c.uscc,
            legal_representative=contractors_policy.POLICY.view(None, c).apply(
                {"legal_representative": c.legal_representative}
            )["legal_representative"],
            decided_by_division=d.division_code,
            term_years=d.term_years,
            effective_from=d.effective_from,
            effective_until=d.effective_until,
        )

    return cursor_page(rows, page, lambda r: (r[0].effective_until, r[0].id), out)
