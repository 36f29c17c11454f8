"""HTTP: what-if comparison (read-only)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from jiuzhu_kit.auth import JurisdictionForbidden
from jiuzhu_kit.errors import responses
from jiuzhu_staffing.calc.budget import PackHasNoPayRule
from jiuzhu_staffing.calc.staffing import PackHasNoStaffingRules
from jiuzhu_staffing.calculation.endpoints import PACK_ERRORS, Calculator
from jiuzhu_staffing.packs.registry import registry
from jiuzhu_staffing.whatif import service
from jiuzhu_staffing.whatif.schemas import WhatIfRequest, WhatIfResult

router = APIRouter(prefix="/calculations", tags=["calculations"])


@router.post(
    "/what-if",
    response_model=WhatIfResult,
    responses=responses(JurisdictionForbidden, PackHasNoStaffingRules, PackHasNoPayRule, *PACK_ERRORS),
)
async def calculate_what_if(request: Request, principal: Calculator, body: WhatIfRequest) -> WhatIfResult:
    """The same county under two packs (`a.pack`, `b.pack`) or two dates (`a.on`, `b.on`), side by
    side: each full result, the units and roles that differ, and optionally the budgets."""
    return service.compare(registry(request), principal, body)
