from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit import divisions, httpcache
from jiuzhu_kit.clock import today
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.money import Money
from jiuzhu_kit.rules.book import NoPackInForce, RuleNotInForce, RulesAt
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


PurchaserLevel = Literal["province", "city", "county", "township"]
# Which catalogue level a purchaser at each division level buys from (seed 000 二(1): the county
# purchases, townships may too; provinces and cities buy what counties may, seed 001 / seed 003).
CATALOGUE_LEVEL: dict[str, str] = {
    "province": "county",
    "city": "county",
    "county": "county",
    "township": "township",
}
PURCHASER_LEVELS: tuple[PurchaserLevel, ...] = ("province", "city", "county", "township")


class CatalogueLevelOut(BaseModel):
    """What purchasers at one level of government may buy."""

    level: PurchaserLevel = Field(description="购买主体层级 the purchaser's level", examples=["county"])
    catalogue_level: Literal["county", "township"] = Field(
        description="目录中适用的层级 (an item's `levels`): province and city purchasers buy county-level items",
        examples=["county"],
    )
    items: list[CatalogueItemOut] = Field(description="the catalogue items purchasable at this level")


class PublicCatalogueOut(BaseModel):
    """The purchasable-services catalogue per level for a division (public, cacheable)."""

    division_code: str = Field(
        description="the division asked about (its packs' catalogue applies)", examples=["350802"]
    )
    division_level: str = Field(
        description="national / province / city / county / township / village", examples=["county"]
    )
    on: date = Field(description="the day whose rules apply", examples=["2026-06-15"])
    rules: str = Field(
        description="the rule pack in force that was read (id@version)", examples=["fj-procurement@1"]
    )
    levels: list[CatalogueLevelOut] = Field(
        description="the division's own level and those below it, province → township (one if `level` is given)"
    )


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


def _item(c: Any, rule: Any) -> CatalogueItemOut:
    return CatalogueItemOut(
        code=c.code,
        name_zh=c.name_zh,
        name_en=c.name_en,
        category=c.category,
        levels=list(c.levels),
        valid_from=rule.dated.start,
        valid_to=rule.dated.end,
        citation=c.citation,
    )


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
    return [_item(c, rule) for c in service.catalogue(at) if level is None or level in c.levels]


@router.get(
    "/public/catalogue",
    response_model=PublicCatalogueOut,
    tags=["public"],
    responses={**responses(NoPackInForce, RuleNotInForce), **httpcache.documented(httpcache.RECORD)},
)
async def get_public_catalogue(
    request: Request,
    response: Response,
    division_code: Annotated[
        DivisionCode,
        Query(description="区划代码：该区划适用的目录（含本县指导性目录）；缺省为全国", examples=["350802"]),
    ] = "000000",
    level: Annotated[
        PurchaserLevel | None,
        Query(
            description="只列该层级购买主体可购买的服务 (province / city / county / township)",
            examples=["township"],
        ),
    ] = None,
    on: Annotated[
        date | None, Query(description="适用哪一天的规定，缺省为今天", examples=["2026-06-15"])
    ] = None,
) -> Any:
    """Which services a province, city, county or township purchases (购买服务指导性目录, seed 003 二,
    seed 004 四(二)): the catalogue in force for the division on `on`, per purchaser level, each item
    with its clauses. Public; strong `ETag`, `If-None-Match` → 304."""
    at = _at(request, division_code, on or today())
    rule = at.rule("catalogue")
    own = divisions.level(division_code)
    start = PURCHASER_LEVELS.index(own) if own in PURCHASER_LEVELS else (0 if own == "national" else 3)
    wanted = [level] if level is not None else list(PURCHASER_LEVELS[start:])
    entries = service.catalogue(at)
    out = PublicCatalogueOut(
        division_code=division_code,
        division_level=own,
        on=at.on,
        rules=at.pack.ref,
        levels=[
            CatalogueLevelOut(
                level=lv,
                catalogue_level=CATALOGUE_LEVEL[lv],
                items=[_item(c, rule) for c in entries if CATALOGUE_LEVEL[lv] in c.levels],
            )
            for lv in wanted
        ],
    )
    # The answer is a function of the rules in force: its ETag is its content's.
    stamp = httpcache.Stamp.of("catalogue", out.model_dump(mode="json"))
    if (hit := httpcache.answer(request, response, stamp, httpcache.RECORD)) is not None:
        return hit
    return out


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
