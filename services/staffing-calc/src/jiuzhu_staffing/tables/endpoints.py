"""HTTP: calculation tables as .xlsx or CSV (read-only)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from jiuzhu_kit.auth import JurisdictionForbidden
from jiuzhu_kit.errors import responses
from jiuzhu_kit.peers import PeerUnavailable
from jiuzhu_staffing.calc.staffing import PackHasNoStaffingRules
from jiuzhu_staffing.calculation.endpoints import PACK_ERRORS, Calculator
from jiuzhu_staffing.compliance import roster
from jiuzhu_staffing.packs.registry import registry
from jiuzhu_staffing.tables import service
from jiuzhu_staffing.tables.render import Table, to_csv, to_xlsx
from jiuzhu_staffing.tables.schemas import CountyTableRequest, TownshipTableRequest

router = APIRouter(prefix="/tables", tags=["calculation tables"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
Format = Annotated[Literal["xlsx", "csv"], Query(description="xlsx（默认）或 csv")]
FILE_RESPONSES = {
    200: {
        "description": "the table as a spreadsheet or CSV (UTF-8 with BOM)",
        "content": {
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    },
    **responses(JurisdictionForbidden, PackHasNoStaffingRules, PeerUnavailable, *PACK_ERRORS),
}


def _file(table: Table, fmt: str, stem: str) -> Response:
    body, media = (to_xlsx(table), XLSX) if fmt == "xlsx" else (to_csv(table), CSV)
    name = f"{stem}.{fmt}"
    return Response(
        content=body,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename=\"table.{fmt}\"; filename*=UTF-8''{quote(name)}"
        },
    )


@router.post("/county", response_class=Response, responses=FILE_RESPONSES)
async def make_county_table(
    request: Request, principal: Calculator, body: CountyTableRequest, format: Format = "xlsx"
) -> Response:
    """附件1 县（市、区）测算表: one row per county (the county bureau's requirement), then its existing
    staff (typed by division code, or the roster's county-level workers in post on `on`), the gap and
    the gap's yearly cost (seed 000 二(六): 根据现有…现状); totals row, the rules and brackets cited."""
    table = await service.county_rows(
        registry(request), principal, body, lambda d, on: roster.facts(request, d, on)
    )
    return _file(table, format, "附件1_县级测算表")


@router.post("/township", response_class=Response, responses=FILE_RESPONSES)
async def make_township_table(
    request: Request, principal: Calculator, body: TownshipTableRequest, format: Format = "xlsx"
) -> Response:
    """附件2 镇（街道）测算表 for one county: one row per township / street office, then its existing
    staff (typed by name, or the roster's workers in post on `on` serving it), the gap and the gap's
    yearly cost (seed 000 二(六): 根据现有…现状); totals row, the rules and brackets cited."""
    table = await service.township_rows(
        registry(request), principal, body, lambda d, on: roster.facts(request, d, on)
    )
    return _file(table, format, "附件2_镇街测算表")
