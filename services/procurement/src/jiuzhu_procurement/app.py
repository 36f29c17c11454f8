"""The procurement application (`uvicorn jiuzhu_procurement.app:create --factory`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_kit.app import create_app
from jiuzhu_kit.documents import generated, sweep
from jiuzhu_kit.documents.api import Documents, body_limits
from jiuzhu_kit.documents.store import DocumentStore
from jiuzhu_kit.rules.api import rules_router
from jiuzhu_kit.rules.book import book_of
from jiuzhu_kit.rules.local import LocalPacks, local_packs, start_local_packs, stop_local_packs
from jiuzhu_kit.rules.local_api import local_packs_router
from jiuzhu_procurement import VERSION
from jiuzhu_procurement.attachments.endpoints import ATTACHABLES
from jiuzhu_procurement.attachments.endpoints import router as attachments_router
from jiuzhu_procurement.catalogue.endpoints import router as reference_router
from jiuzhu_procurement.challenge import machine as challenge_machine
from jiuzhu_procurement.challenge.endpoints import lean_routes as challenge_lean_routes
from jiuzhu_procurement.challenge.endpoints import router as challenge_router
from jiuzhu_procurement.changes.sources import SOURCES as feed_sources
from jiuzhu_procurement.complaint import machine as complaint_machine
from jiuzhu_procurement.complaint.endpoints import router as complaint_router
from jiuzhu_procurement.contract import document as contract_document
from jiuzhu_procurement.contract import machine as contract_machine
from jiuzhu_procurement.contract.endpoints import router as contract_router
from jiuzhu_procurement.contractor.endpoints import router as contractor_router
from jiuzhu_procurement.db import documents
from jiuzhu_procurement.debarment import machine as debarment_machine
from jiuzhu_procurement.debarment.endpoints import router as debarment_router
from jiuzhu_procurement.disclosure.endpoints import router as disclosure_router
from jiuzhu_procurement.disclosure.public import router as public_router
from jiuzhu_procurement.expert.endpoints import router as expert_router
from jiuzhu_procurement.models import kit
from jiuzhu_procurement.plan import document as plan_document
from jiuzhu_procurement.plan import machine as plan_machine
from jiuzhu_procurement.plan.endpoints import router as plan_router
from jiuzhu_procurement.project import machine as project_machine
from jiuzhu_procurement.project import notice
from jiuzhu_procurement.project.endpoints import lean_routes as project_lean_routes
from jiuzhu_procurement.project.endpoints import router as project_router
from jiuzhu_procurement.project.sealing import Keyring
from jiuzhu_procurement.purchaser.endpoints import router as purchaser_router
from jiuzhu_procurement.roster.crypto import PersonalDataKey
from jiuzhu_procurement.roster.endpoints import router as roster_router
from jiuzhu_procurement.rulebook.book import SPEC, default_book, file_sources
from jiuzhu_procurement.rulebook.models import rule_pack
from jiuzhu_procurement.settings import Settings
from jiuzhu_procurement.workflow.endpoints import router as workflow_router

CONTRACT_STATES = ["draft", "signed", "terminated", "completed", "taken_over", "discarded"]
# Statuses are stored as strings; the contract types them as the states of their machine.
STATUS_ENUMS = {
    "PlanOut.status": plan_machine.MACHINE.states,
    "ChallengeOut.status": challenge_machine.MACHINE.states,
    "PaymentOut.status": contract_machine.PAYMENT_MACHINE.states,
    "ProjectOut.status": project_machine.MACHINE.states,
    "OverdueProjectDeadlineOut.project_status": project_machine.MACHINE.states,
    "AnnouncementOut.status": project_machine.MACHINE.states,
    "DebarmentOut.status": debarment_machine.MACHINE.states,
    "ComplaintOut.status": complaint_machine.MACHINE.states,
    # A contract is drafted at the award, signed, then ends with its project (contract/lifecycle.py).
    "ContractOut.status": CONTRACT_STATES,
    "PublicContractOut.status": CONTRACT_STATES,
    "DrawOut.status": ["committed", "drawn"],
    "PublicDrawOut.status": ["committed", "drawn"],
    "LocalPackOut.status": ["draft", "published", "withdrawn"],
}


async def _start(app: FastAPI) -> None:
    await start_local_packs(app)
    await sweep.start(app)  # orphaned document blobs, on one replica (documents/sweep.py)


async def _stop(app: FastAPI) -> None:
    await sweep.stop(app)
    await stop_local_packs(app)


def create(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # Routes are matched in order: the project routes (transitions are the busiest write) go first.
    # No two routers share a path template, so the order changes nothing else.
    routers = [
        project_router,
        challenge_router,
        complaint_router,
        contractor_router,
        debarment_router,
        reference_router,
        plan_router,
        contract_router,
        roster_router,
        workflow_router,
        disclosure_router,
        public_router,
        purchaser_router,
        expert_router,
        attachments_router,
        local_packs_router(local_packs),  # before rules_router: /rules/{pack_id} would take its paths
        rules_router(SPEC, book_of),
    ]
    app = create_app(
        service="procurement",
        title="Jiuzhu procurement 政府购买服务采购",
        version=VERSION,
        description=(
            "Purchase plans, the lawful procurement workflow as declarative state machines, contractors and "
            "debarment, contracts, payments, takeover, public disclosure and OCDS 1.1."
        ),
        settings=settings,
        feed_sources=feed_sources,
        tables=kit,
        routers=routers,
        problem_contract=True,  # the OpenAPI declares the kit's real problem responses
        response_enums=STATUS_ENUMS,
        examples_file=Path(__file__).parent / "contract_examples.json",  # captured by tests
        lean_routes=[*project_lean_routes, *challenge_lean_routes],  # the transition routes' plain case
        body_limits=body_limits(settings, [(attachments_router, a) for a in ATTACHABLES]),
        on_startup=_start,
        on_shutdown=_stop,
    )
    # The file packs are loaded and validated here (a pack that is wrong stops start-up); the
    # published local packs join them at start-up (load_local).
    app.state.rules = default_book()
    # The sealed-bid master key(s), from the environment only (project/sealing.py).
    app.state.bid_keys = Keyring.of(settings.bid_key, settings.bid_keys_previous)
    # Documents: content-addressed in the store the settings choose (local .data/documents or S3).
    app.state.documents = Documents(DocumentStore.from_settings(settings, "procurement"), documents)
    # The generated ones (contract, award notice, plan) kept in step with their data before each commit.
    generated.install(app, [contract_document.GENERATOR, notice.GENERATOR, plan_document.GENERATOR])
    # The roster's personal-data key, likewise (roster/crypto.py).
    app.state.personal_data_key = PersonalDataKey.of(settings.personal_data_key)
    app.state.local_packs = LocalPacks(rule_pack, SPEC, file_sources, app.state.audit)
    return app
