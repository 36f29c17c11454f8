"""HTTP: batch staffing for many counties with roll-ups (read-only)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from jiuzhu_kit.auth import JurisdictionForbidden
from jiuzhu_kit.errors import responses
from jiuzhu_staffing.batch import service
from jiuzhu_staffing.batch.schemas import BatchRequest, BatchResult
from jiuzhu_staffing.calculation.endpoints import Calculator
from jiuzhu_staffing.packs.registry import PackNotFound, registry
from jiuzhu_staffing.regions.known import UnknownDivisionCode, known

# The national batch is ~6.4 MB of JSON (4,000 counties at most): above the kit's 1 MiB default.
MAX_BATCH_BYTES = 16 * 1024 * 1024
router = APIRouter(prefix="/calculations", tags=["calculations"])


@router.post(
    "/batch",
    response_model=BatchResult,
    responses=responses(JurisdictionForbidden, UnknownDivisionCode, service.DuplicateCounty, PackNotFound),
)
async def calculate_batch(request: Request, principal: Calculator, body: BatchRequest) -> BatchResult:
    """Staffing for many counties (up to a whole country, ~2,850 counties / 39,000 townships):
    totals per county and roll-ups by city, province and nation. A county without a pack in force
    gets a `problem` in its row instead of failing the batch; unknown codes refuse the batch."""
    k = known()
    service.check_batch(principal, body, k)
    return BatchResult.model_validate(service.run_batch(registry(request), body, k))
