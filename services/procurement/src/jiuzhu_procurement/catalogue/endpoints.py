from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.divisions import DivisionCode
from jiuzhu_kit.money import Money
from jiuzhu_procurement.catalogue import rules, service

router = APIRouter(tags=["reference"])


class CatalogueItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    category: Literal["administrative_support", "direct_service"]
    levels: list[str]
    valid_from: date
    valid_to: date | None
    citation: str


class NegativeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    name_zh: str
    name_en: str
    valid_from: date
    valid_to: date | None
    citation: str


class ThresholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    region: str
    kind: str
    amount: Money
    valid_from: date
    valid_to: date | None
    citation: str
    verified: bool
    bounds: str = "以上 (inclusive: 民法典 第一千二百五十九条)"


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purchase_form: Literal[rules.FORMS] = "service_contract"  # type: ignore[valid-type]
    items: list[str] = Field(min_length=1, max_length=50)
    on: date
    division_code: DivisionCode


class RefusalOut(BaseModel):
    code: str
    subject: str
    reason_zh: str
    reason_en: str
    citation: str


class CheckOut(BaseModel):
    lawful: bool
    on: date
    refusals: list[RefusalOut]


@router.get("/catalogue", response_model=list[CatalogueItemOut])
async def list_catalogue(
    session: SessionDep,
    on: date | None = None,
    level: Annotated[Literal["county", "township", "village"] | None, Query()] = None,
) -> list[CatalogueItemOut]:
    """The purchasable-services catalogue in force on `on` (default today), optionally for one level."""
    day = on or today()
    rows = [r for r in await service.catalogue(session) if rules.active(r, day)]
    return [CatalogueItemOut.model_validate(r) for r in rows if level is None or level in r.levels]


@router.get("/negative-list", response_model=list[NegativeOut])
async def list_negative(session: SessionDep, on: date | None = None) -> list[NegativeOut]:
    """What may not be bought as a service on `on` (default today)."""
    day = on or today()
    return [NegativeOut.model_validate(r) for r in await service.negative(session) if rules.active(r, day)]


@router.get("/thresholds", response_model=list[ThresholdOut])
async def get_thresholds(
    session: SessionDep, division_code: DivisionCode, on: date | None = None
) -> list[ThresholdOut]:
    """Open-tender amount and procurement limit for a division on a date (nearest region with data)."""
    day = on or today()
    out = []
    for kind in ("open_tender", "procurement_limit"):
        row = await service.threshold(session, kind, division_code, day)
        if row is not None:
            out.append(ThresholdOut.model_validate(row))
    return out


@router.post("/catalogue/check", response_model=CheckOut)
async def check_purchase(session: SessionDep, body: CheckIn) -> CheckOut:
    """Would this purchase be lawful on that date? Every refusal names its rule."""
    refusals = await service.check(session, body.purchase_form, body.items, body.on, body.division_code)
    return CheckOut(lawful=not refusals, on=body.on, refusals=[RefusalOut(**r.as_dict()) for r in refusals])
