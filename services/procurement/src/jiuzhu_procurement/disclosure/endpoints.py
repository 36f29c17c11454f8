"""Public read endpoints (no token) for portals such as "e 龙岩", and OCDS 1.1 packages.

Only what procurement law makes public: announcements, results, contracts, current debarments;
natural persons' names and phone numbers are masked (个人信息保护法 28).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import func, select

from jiuzhu_kit.clock import now, today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import FieldError, ValidationFailed, responses
from jiuzhu_kit.money import Money
from jiuzhu_kit.pagination import Page, PageParams, page_params
from jiuzhu_procurement.contract import policy as contracts_policy
from jiuzhu_procurement.contract.models import Contract
from jiuzhu_procurement.contractor import policy as contractors_policy
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.debarment.models import Debarment
from jiuzhu_procurement.disclosure import ocds, service
from jiuzhu_procurement.project import methods
from jiuzhu_procurement.project.models import Project

router = APIRouter(tags=["public"])
PUBLIC_STATES = ocds.AFTER_TENDER


class AnnouncementOut(BaseModel):
    project_id: uuid.UUID
    ocid: str
    title: str
    division_code: str
    method: str | None
    method_zh: str | None
    budget: Money
    items: list[str]
    announced_on: date | None
    status: str


class ResultOut(BaseModel):
    project_id: uuid.UUID
    title: str
    division_code: str
    method_zh: str | None
    supplier_name: str
    supplier_uscc: str
    amount: Money
    awarded_on: date
    challenge_deadline: date | None
    ranking: list[dict[str, Any]]


class PublicContractOut(BaseModel):
    contract_id: uuid.UUID
    project_id: uuid.UUID
    subject: str
    division_code: str
    contractor_name: str
    contractor_uscc: str
    price: Money
    term_start: date
    term_end: date
    signed_on: date | None
    status: str
    parties: list[dict[str, Any]]


class PublicDebarmentOut(BaseModel):
    contractor_name: str
    uscc: str
    legal_representative: str | None
    decided_by_division: str
    term_years: int | None
    effective_from: date | None
    effective_until: date | None
    basis: str = "政府采购法 77; 闽民保〔2018〕58号 一(七)"


def _ocid(request: Request, project_id: Any) -> str:
    return f"{request.app.state.settings.ocid_prefix}-{project_id}"


async def _page(session: Any, q: Any, page: PageParams) -> tuple[list[Any], int]:
    total = (await session.execute(select(func.count()).select_from(q.subquery()))).scalar_one()
    rows = (await session.execute(q.limit(page.limit).offset(page.offset))).scalars().all()
    return list(rows), int(total)


@router.get("/public/announcements", response_model=Page[AnnouncementOut])
async def list_public_announcements(
    request: Request, session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Page[AnnouncementOut]:
    """Procurement announcements (采购公告), newest first."""
    q = (
        select(Project)
        .where(Project.status.in_(PUBLIC_STATES))
        .order_by(Project.announced_on.desc(), Project.id)
    )
    rows, total = await _page(session, q, page)
    items = [
        AnnouncementOut(
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
        )
        for p in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/public/results", response_model=Page[ResultOut])
async def list_public_results(
    session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Page[ResultOut]:
    """Award results (成交结果公告) with each bidder's total score."""
    q = select(Project).where(Project.awarded_on.is_not(None), Project.status.in_(ocds.AFTER_AWARD))
    rows, total = await _page(session, q.order_by(Project.awarded_on.desc(), Project.id), page)
    items = []
    for p in rows:
        name = (
            await session.execute(select(Contractor.name).where(Contractor.uscc == p.awarded_uscc))
        ).scalar() or ""
        ranking = [
            {"rank": r.get("rank"), "name": r["name"], "total": r.get("total"), "status": r["status"]}
            for r in (p.scoring or {}).get("ranking", [])
        ]
        items.append(
            ResultOut(
                project_id=p.id,
                title=p.title,
                division_code=p.division_code,
                method_zh=methods.ZH.get(p.method or ""),
                supplier_name=name,
                supplier_uscc=p.awarded_uscc or "",
                amount=p.awarded_amount or 0,
                awarded_on=p.awarded_on,
                challenge_deadline=p.challenge_deadline,
                ranking=ranking,
            )
        )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/public/contracts", response_model=Page[PublicContractOut])
async def list_public_contracts(
    session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Page[PublicContractOut]:
    """Signed contracts (合同公告); contact persons masked."""
    q = select(Contract).where(Contract.status.in_(("signed", "terminated", "taken_over", "completed")))
    rows, total = await _page(session, q.order_by(Contract.signed_on.desc(), Contract.id), page)
    items = [
        PublicContractOut(
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
        )
        for c in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/public/debarments", response_model=list[PublicDebarmentOut])
async def list_public_debarments(session: SessionDep, on: date | None = None) -> list[PublicDebarmentOut]:
    """Debarments in force on `on` (default today), nationwide; expired ones drop out by date."""
    day = on or today()
    rows = (
        await session.execute(
            select(Debarment, Contractor)
            .join(Contractor, Contractor.id == Debarment.contractor_id)
            .where(
                Debarment.status == "debarred",
                Debarment.effective_from <= day,
                Debarment.effective_until >= day,
            )
            .order_by(Debarment.effective_until.desc())
        )
    ).all()
    return [
        PublicDebarmentOut(
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
        for d, c in rows
    ]


def _publisher(request: Request) -> dict[str, str]:
    s = request.app.state.settings
    return {"name": s.ocds_publisher_name, "uri": s.ocds_publisher_uri}


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_base_url).rstrip("/")


class PeriodInvalid(ValidationFailed):
    code = "PERIOD_INVALID"
    zh = "期间无效：起始日期（from）不能晚于截止日期（to）"
    en = "Invalid period: `from` must not be after `to`"


_POLICY = (
    " Published once the project is announced, with what the public may see: tenderers are named "
    "with the result; bids, qualification and scores never appear. A release is published when what "
    "OCDS shows changes, dated by the business date its step recorded (China time). Contractors are "
    "identified under CN-USCI (org-id.guide), the buyer by its GB/T 2260 division code (scheme "
    "CN-GBT2260); items are classified by the catalogue of the procurement rule packs (scheme "
    "x_jiuzhu_catalogue, published at GET /catalogue)."
)


@router.get(
    "/ocds/releases/period",
    response_model=dict[str, Any],
    responses=responses(PeriodInvalid),
    description="OCDS 1.1 release package of every release dated in a period (China days `from`–`to`, both "
    "included), oldest first, paged with `limit`/`offset`; the next page is in the `Link` header "
    '(`rel="next"`), the count in `X-Total-Count`; a period with nothing published answers an '
    "empty `releases` list." + _POLICY,
)
async def list_releases_of_period(
    request: Request,
    response: Response,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    start: Annotated[date, Query(alias="from", description="first day (China time), included")],
    end: Annotated[date, Query(alias="to", description="last day (China time), included")],
) -> dict[str, Any]:
    """OCDS 1.1 release package: every release of a period."""
    if start > end:
        raise PeriodInvalid([FieldError(pointer="#/to", code="PERIOD_INVALID", detail="to 早于 from")])
    rels = await service.in_period(session, request.app.state, start, end)
    base = _base(request)

    def uri(offset: int) -> str:
        q = urlencode(
            {"from": start.isoformat(), "to": end.isoformat(), "limit": page.limit, "offset": offset}
        )
        return f"{base}/ocds/releases/period?{q}"

    links = []
    if page.offset + page.limit < len(rels):
        links.append(f'<{uri(page.offset + page.limit)}>; rel="next"')
    if page.offset > 0:
        links.append(f'<{uri(max(page.offset - page.limit, 0))}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    response.headers["X-Total-Count"] = str(len(rels))
    body = rels[page.offset : page.offset + page.limit]
    return ocds.package("releases", uri(page.offset), now(), _publisher(request), body)


@router.get(
    "/ocds/releases/{project_id}",
    response_model=dict[str, Any],
    responses=responses(service.NotPublished),
    description="OCDS 1.1 release package of a project: one release per step of its history that changes "
    "what OCDS shows." + _POLICY,
)
async def get_release_package(request: Request, session: SessionDep, project_id: uuid.UUID) -> dict[str, Any]:
    """OCDS 1.1 release package of a project."""
    _, rel = await service.published_releases(session, request.app.state, project_id)
    uri = f"{_base(request)}/ocds/releases/{project_id}"
    return ocds.package("releases", uri, now(), _publisher(request), rel)


@router.get(
    "/ocds/records/{project_id}",
    response_model=dict[str, Any],
    responses=responses(service.NotPublished),
    description="OCDS 1.1 record package of a project: its releases and the compiled release (what OCDS "
    "merging gives)." + _POLICY,
)
async def get_record_package(request: Request, session: SessionDep, project_id: uuid.UUID) -> dict[str, Any]:
    """OCDS 1.1 record package of a project."""
    ocid, rel = await service.published_releases(session, request.app.state, project_id)
    uri = f"{_base(request)}/ocds/records/{project_id}"
    return ocds.package("records", uri, now(), _publisher(request), [ocds.record(ocid, rel)])
