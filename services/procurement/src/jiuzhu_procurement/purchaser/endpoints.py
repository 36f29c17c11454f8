"""The public read of the purchaser registry: who buys in a division, its address and office.

Public information of a government body (政府信息公开条例 20: a bureau's name, address and contact);
no person and no telephone number is in the registry. Cacheable like every public read (httpcache):
a strong `ETag` of the answer, `If-None-Match` → 304."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from jiuzhu_kit import httpcache
from jiuzhu_kit.errors import NotFound, responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_procurement.purchaser.registry import registered

router = APIRouter(prefix="/public", tags=["public"])


class PurchaserNotFound(NotFound):
    code = "PURCHASER_NOT_FOUND"
    zh = "该区划没有登记的购买主体"
    en = "No purchaser is registered for this division"


class AddressOut(BaseModel):
    """购买主体的地址（行政区划名称）。The purchaser's address: the division's place names."""

    region: str | None = Field(description="省级行政区。Province-level region", examples=["宁夏回族自治区"])
    locality: str | None = Field(description="市、县（区）。City and county", examples=["银川市灵武市"])


class ContactOut(BaseModel):
    """购买主体的联系机构（办公室，不含个人）。The office to contact: no person, no telephone."""

    name: str | None = Field(description="联系机构。The office", examples=["灵武市民政局办公室"])


class PurchaserOut(BaseModel):
    """购买主体：区划内购买社会救助服务的民政部门。The body that buys in a division."""

    division_code: str = Field(description="行政区划代码（GB/T 2260）。Division code", examples=["640181"])
    name: str = Field(description="购买主体名称。The purchaser's name", examples=["灵武市民政局"])
    address: AddressOut = Field(description="地址。Address")
    contact: ContactOut = Field(description="联系机构。Contact")


EXAMPLE = {
    "division_code": "640181",
    "name": "灵武市民政局",
    "address": {"region": "宁夏回族自治区", "locality": "银川市灵武市"},
    "contact": {"name": "灵武市民政局办公室"},
}
_DOCUMENTED = httpcache.documented(httpcache.RECORD)
_DOCUMENTED[200] = {**_DOCUMENTED[200], "content": {"application/json": {"example": EXAMPLE}}}


@router.get(
    "/purchasers/{division_code}",
    response_model=PurchaserOut,
    responses={**responses(PurchaserNotFound), **_DOCUMENTED},
)
async def get_purchaser(request: Request, response: Response, division_code: DivisionCode) -> Any:
    """The registered purchaser of a division (the civil-affairs bureau named on contracts, notices and
    in OCDS): name, address, contact office. Public, cacheable (`ETag`, `If-None-Match` → 304);
    a division without one is 404 `PURCHASER_NOT_FOUND`."""
    found = registered(division_code)
    if found is None:
        raise PurchaserNotFound()
    out = PurchaserOut(
        division_code=found.division_code,
        name=found.name,
        address=AddressOut(region=found.region, locality=found.locality),
        contact=ContactOut(name=found.contact_name),
    )
    stamp = httpcache.Stamp.of("purchaser", out.model_dump(mode="json"))
    if (hit := httpcache.answer(request, response, stamp, httpcache.RECORD)) is not None:
        return hit
    return out
