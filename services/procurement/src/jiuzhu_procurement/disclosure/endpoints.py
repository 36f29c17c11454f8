"""OCDS 1.1 packages (no token); the portal lists are in disclosure/public.py."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic_core import to_json

from jiuzhu_kit.clock import now
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.listing import RangeInverted, check_range
from jiuzhu_kit.pagination import PageParams, page_params
from jiuzhu_procurement.disclosure import ocds, service
from jiuzhu_procurement.disclosure.schemas import OcdsRecordPackage, OcdsReleasePackage

router = APIRouter(tags=["public"])
PUBLIC_STATES = ocds.AFTER_TENDER


def _publisher(request: Request) -> dict[str, str]:
    s = request.app.state.settings
    return {"name": s.ocds_publisher_name, "uri": s.ocds_publisher_uri}


def _send(package: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """The package exactly as ocds.py built it (key order and the `null`s that remove a value in
    OCDS merging), rendered as FastAPI renders a body; the response model is its contract."""
    return Response(to_json(package), media_type="application/json", headers=headers)


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_base_url).rstrip("/")


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
    response_model=OcdsReleasePackage,
    responses=responses(RangeInverted),
    description="OCDS 1.1 release package of every release dated in a period (China days `from`–`to`, both "
    "included), oldest first, paged with `limit`/`offset`; the next page is in the `Link` header "
    '(`rel="next"`), the count in `X-Total-Count`; a period with nothing published answers an '
    "empty `releases` list." + _POLICY,
)
async def list_releases_of_period(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    start: Annotated[date, Query(alias="from", description="first day (China time), included")],
    end: Annotated[date, Query(alias="to", description="last day (China time), included")],
) -> Response:
    """OCDS 1.1 release package: every release of a period."""
    check_range(start, end)
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
    headers = {"X-Total-Count": str(len(rels))}
    if links:
        headers["Link"] = ", ".join(links)
    body = rels[page.offset : page.offset + page.limit]
    return _send(ocds.package("releases", uri(page.offset), now(), _publisher(request), body), headers)


@router.get(
    "/ocds/releases/{project_id}",
    response_model=OcdsReleasePackage,
    responses=responses(service.NotPublished),
    description="OCDS 1.1 release package of a project: one release per step of its history that changes "
    "what OCDS shows." + _POLICY,
)
async def get_release_package(request: Request, session: SessionDep, project_id: uuid.UUID) -> Response:
    """OCDS 1.1 release package of a project."""
    _, rel = await service.published_releases(session, request.app.state, project_id)
    uri = f"{_base(request)}/ocds/releases/{project_id}"
    return _send(ocds.package("releases", uri, now(), _publisher(request), rel))


@router.get(
    "/ocds/records/{project_id}",
    response_model=OcdsRecordPackage,
    responses=responses(service.NotPublished),
    description="OCDS 1.1 record package of a project: its releases and the compiled release (what OCDS "
    "merging gives)." + _POLICY,
)
async def get_record_package(request: Request, session: SessionDep, project_id: uuid.UUID) -> Response:
    """OCDS 1.1 record package of a project."""
    ocid, rel = await service.published_releases(session, request.app.state, project_id)
    uri = f"{_base(request)}/ocds/records/{project_id}"
    return _send(ocds.package("records", uri, now(), _publisher(request), [ocds.record(ocid, rel)]))
