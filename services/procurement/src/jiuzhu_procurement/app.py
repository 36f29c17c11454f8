"""The procurement application (`uvicorn jiuzhu_procurement.app:create --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from jiuzhu_kit.app import create_app
from jiuzhu_kit.rules.api import rules_router
from jiuzhu_procurement import VERSION
from jiuzhu_procurement.catalogue.endpoints import router as reference_router
from jiuzhu_procurement.contract.endpoints import router as contract_router
from jiuzhu_procurement.contractor.endpoints import router as contractor_router
from jiuzhu_procurement.disclosure.endpoints import router as disclosure_router
from jiuzhu_procurement.models import kit
from jiuzhu_procurement.plan.endpoints import router as plan_router
from jiuzhu_procurement.project.endpoints import lean_routes
from jiuzhu_procurement.project.endpoints import router as project_router
from jiuzhu_procurement.rulebook.book import SPEC, book, default_book
from jiuzhu_procurement.settings import Settings
from jiuzhu_procurement.workflow.endpoints import router as workflow_router


def create(settings: Settings | None = None) -> FastAPI:
    # Routes are matched in order: the project routes (transitions are the busiest write) go first.
    # No two routers share a path template, so the order changes nothing else.
    routers = [
        project_router,
        contractor_router,
        reference_router,
        plan_router,
        contract_router,
        workflow_router,
        disclosure_router,
        rules_router(SPEC, book),
    ]
    app = create_app(
        service="procurement",
        title="Jiuzhu procurement 政府购买服务采购",
        version=VERSION,
        description=(
            "Purchase plans, the lawful procurement workflow as declarative state machines, contractors and "
            "debarment, contracts, payments, takeover, public disclosure and OCDS 1.1."
        ),
        settings=settings or Settings(),
        tables=kit,
        routers=routers,
        problem_contract=True,  # the OpenAPI declares the kit's real problem responses
        lean_routes=lean_routes,  # the transition routes' plain case without FastAPI
    )
    # The rules are loaded and validated here: a pack that is wrong stops start-up.
    app.state.rules = default_book()
    return app
