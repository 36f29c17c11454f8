from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.clock import today
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.money import Money
from jiuzhu_kit.rules.book import NoPackInForce, RulesAt
from jiuzhu_procurement.catalogue import rules, service
from jiuzhu_procurement.rulebook.book import rules_at

router = APIRouter(tags=["reference"])


class CatalogueItemOut(BaseModel):
    """购买目录条目 One purchasable service in the catalogue in force."""

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
    """负面清单条目 A service that may not be bought, with its citation."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    name_zh: str
    name_en: str
    valid_from: date
    valid_to: date | None
    citation: str


class ThresholdOut(BaseModel):
    """限额标准 A procurement threshold and its citation."""

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
    """购买审查 A purchase to check against the catalogue and the negative list."""

    model_config = ConfigDict(extra="forbid")

    purchase_form: Literal[rules.FORMS] = "service_contract"  # type: ignore[valid-type]
    items: list[str] = Field(min_length=1, max_length=50)
    on: date
    division_code: DivisionCode


class RefusalOut(BaseModel):
    """不予购买 Why a purchase is not allowed, with its citation."""

    code: str
    subject: str
    reason_zh: str
    reason_en: str
    citation: str


class CheckOut(BaseModel):
    """审查结果 Whether the purchase is allowed, with the refusals and citations."""

    lawful: bool
    on: date
    refusals: list[RefusalOut]


def _at(request: Request, division: str, on: date) -> RulesAt:
    return rules_at(request.app.state, division, on)


@router.get("/catalogue", response_model=list[CatalogueItemOut], responses=responses(NoPackInForce))
async def list_catalogue(
    request: Request,
    on: date | None = None,
    level: Annotated[Literal["county", "township", "village"] | None, Query()] = None,
    division_code: Annotated[DivisionCode, Query(description="缺省为全国目录")] = "000000",
) -> list[CatalogueItemOut]:
    """The purchasable-services catalogue in force on `on` (default today) for a division (its own
    guidance catalogue included), optionally for one level."""
    at = _at(request, division_code, on or today())
    rule = at.rule("catalogue")
    return [
        CatalogueItemOut(
            code=c.code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            category=c.category,
            levels=list(c.levels),
            valid_from=rule.dated.start,
            valid_to=rule.dated.end,
            citation=c.citation,
        )
        for c in service.catalogue(at)
        if level is None or level in c.levels
    ]


@router.get("/negative-list", response_model=list[NegativeOut], responses=responses(NoPackInForce))
async def list_negative_list(
    request: Request,
    on: date | None = None,
    division_code: Annotated[DivisionCode, Query(description="缺省为全国")] = "000000",
) -> list[NegativeOut]:
    """What may not be bought as a service on `on` (default today)."""
    at = _at(request, division_code, on or today())
    rule = at.get("negative_list")
    return [
        NegativeOut(
            code=n.code,
            kind=n.kind,
            name_zh=n.name_zh,
            name_en=n.name_en,
            valid_from=rule.dated.start,
            valid_to=rule.dated.end,
            citation=n.citation,
        )
        for n in service.negative(at)
        if rule is not None
    ]


@router.get("/thresholds", response_model=list[ThresholdOut], responses=responses(NoPackInForce))
async def get_thresholds(
    request: Request, division_code: DivisionCode, on: date | None = None
) -> list[ThresholdOut]:
    """Open-tender amount and procurement limit for a division on a date (the most specific rules)."""
    at = _at(request, division_code, on or today())
    out = []
    for kind in service.THRESHOLD_PARAMETERS:
        t = service.threshold(at, kind)
        if t is not None:
            out.append(ThresholdOut.model_validate(t, from_attributes=True))
    return out


@router.post("/catalogue/check", response_model=CheckOut, responses=responses(NoPackInForce))
async def check_purchase(request: Request, body: CheckIn) -> CheckOut:
    """Would this purchase be lawful on that date? Every refusal names its rule."""
    refusals = service.check(_at(request, body.division_code, body.on), body.purchase_form, body.items)
    return CheckOut(lawful=not refusals, on=body.on, refusals=[RefusalOut(**r.as_dict()) for r in refusals])
