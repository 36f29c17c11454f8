"""The staffing-calc application (`uvicorn jiuzhu_staffing.app:create --factory`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_kit.app import create_app
from jiuzhu_kit.rules.api import rules_router
from jiuzhu_staffing import VERSION
from jiuzhu_staffing.batch.endpoints import MAX_BATCH_BYTES
from jiuzhu_staffing.batch.endpoints import router as batch_router
from jiuzhu_staffing.calculation.endpoints import router as calculation_router
from jiuzhu_staffing.changes.sources import SOURCES as feed_sources
from jiuzhu_staffing.compliance.endpoints import router as compliance_router
from jiuzhu_staffing.models import kit
from jiuzhu_staffing.packs.endpoints import router as packs_router
from jiuzhu_staffing.packs.parse import SPEC
from jiuzhu_staffing.packs.registry import PackRegistry, default_registry
from jiuzhu_staffing.packs.registry import registry as registry_of
from jiuzhu_staffing.pilots.endpoints import router as pilots_router
from jiuzhu_staffing.regions.known import known
from jiuzhu_staffing.scenario.endpoints import router as scenario_router
from jiuzhu_staffing.settings import Settings
from jiuzhu_staffing.tables.endpoints import router as tables_router
from jiuzhu_staffing.whatif.endpoints import router as whatif_router


def create(settings: Settings | None = None, packs: PackRegistry | None = None) -> FastAPI:
    """Build the app. The rule packs are loaded and validated here: a bad pack stops start-up
    with a PackError listing every problem."""
    registry = packs or default_registry()
    known()  # load the division dataset once, before the first request
    app = create_app(
        service="staffing-calc",
        gateway_prefix="/api/staffing",
        title="Jiuzhu staffing-calc 人员配备与经费测算",
        version=VERSION,
        description=(
            "Policy rules as versioned, cited data: staffing ratios, pay progression, working funds, "
            "budgets, calculation tables (测算表) and compliance reports."
        ),
        settings=settings or Settings(),
        feed_sources=feed_sources,
        tables=kit,
        routers=[
            packs_router,
            rules_router(SPEC, registry_of),
            calculation_router,
            batch_router,
            whatif_router,
            tables_router,
            scenario_router,
            compliance_router,
            pilots_router,
        ],
        problem_contract=True,  # the OpenAPI declares the kit's real problem responses
        examples_file=Path(__file__).parent / "contract_examples.json",  # captured by tests
        body_limits={"/calculations/batch": MAX_BATCH_BYTES},
    )
    app.state.packs = registry
    return app
