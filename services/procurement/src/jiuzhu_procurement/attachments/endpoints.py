"""The document routes of the procurement aggregates (jiuzhu_kit.documents.api)."""

from __future__ import annotations

from fastapi import APIRouter

from jiuzhu_kit.documents.api import Attachable, add_document_routes
from jiuzhu_procurement.attachments import service
from jiuzhu_procurement.challenge.policy import ChallengeNotFound
from jiuzhu_procurement.complaint.policy import ComplaintNotFound
from jiuzhu_procurement.contract.policy import ContractNotFound
from jiuzhu_procurement.plan.policy import PlanNotFound
from jiuzhu_procurement.project.policy import BidNotFound, BidSealed, ProjectNotFound

router = APIRouter()

ATTACHABLES = [
    Attachable("plan", "/plans/{key}", "plans", service.read_plan, service.write_plan, (PlanNotFound,)),
    Attachable(
        "project",
        "/projects/{key}",
        "projects",
        service.read_project,
        service.write_project,
        (ProjectNotFound,),
    ),
    Attachable(
        "bid", "/bids/{key}", "projects", service.read_bid, service.write_bid, (BidNotFound, BidSealed)
    ),
    Attachable(
        "contract",
        "/contracts/{key}",
        "contracts",
        service.read_contract,
        service.write_contract,
        (ContractNotFound,),
    ),
    Attachable(
        "challenge",
        "/challenges/{key}",
        "projects",
        service.read_challenge,
        service.write_challenge,
        (ChallengeNotFound,),
    ),
    Attachable(
        "complaint",
        "/complaints/{key}",
        "complaints",
        service.read_complaint,
        service.write_complaint,
        (ComplaintNotFound,),
    ),
]

for spec in ATTACHABLES:
    add_document_routes(router, spec)
