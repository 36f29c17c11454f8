"""HTTP: the rule packs and their rules with citations. Public: no token needed."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_staffing.packs.model import Pack
from jiuzhu_staffing.packs.registry import NoPackInForce, PackNotFound, PackRegistry, registry
from jiuzhu_staffing.packs.schemas import PackDetail, PackSummary
from jiuzhu_staffing.packs.snapshot import pack_to_dict
from jiuzhu_staffing.regions.known import UnknownDivisionCode, known

router = APIRouter(prefix="/packs", tags=["rule packs"])


def _summary(reg: PackRegistry, pack: Pack) -> dict[str, object]:
    d = pack_to_dict(pack)
    d["versions"] = [p.version for p in reg.versions(pack.id)]
    d["jurisdiction_name"] = known().name(pack.jurisdiction)
    return d


@router.get("", response_model=list[PackSummary])
async def list_packs(request: Request) -> list[PackSummary]:
    """Every rule pack (latest version of each), with its document, issuer and effective dates."""
    reg = registry(request)
    return [PackSummary.model_validate(_summary(reg, p)) for p in reg.latest()]


@router.get(
    "/in-force",
    response_model=PackDetail,
    responses=responses(NoPackInForce, UnknownDivisionCode),
)
async def get_pack_in_force(
    request: Request,
    division_code: Annotated[DivisionCode, Query(description="行政区划代码")],
    on: Annotated[date, Query(description="日期")],
) -> PackDetail:
    """The pack a calculation for `division_code` on `on` would use (most specific, in force)."""
    known().ensure(division_code, "#/query/division_code")
    reg = registry(request)
    return PackDetail.model_validate(_summary(reg, reg.in_force(division_code, on)))


@router.get("/{pack_id}", response_model=PackDetail, responses=responses(PackNotFound))
async def get_pack(
    request: Request,
    pack_id: str,
    version: Annotated[int | None, Query(ge=1, description="缺省为最新版本")] = None,
) -> PackDetail:
    """A pack's rules: every parameter with its dated values, brackets (bounds, phrase, reading)
    and citations, resolved through inheritance (`defined_in` names the pack that set it)."""
    reg = registry(request)
    pack = reg.get(pack_id if version is None else f"{pack_id}@{version}")
    return PackDetail.model_validate(_summary(reg, pack))
