"""The document routes of the procurement aggregates (jiuzhu_kit.documents.api): one shape on each
aggregate's own path, its parameters named for what they are."""

from __future__ import annotations

from fastapi import APIRouter

from jiuzhu_kit.documents.api import Attachable, add_document_routes
from jiuzhu_procurement.attachments import service
from jiuzhu_procurement.challenge.policy import ChallengeNotFound
from jiuzhu_procurement.complaint.policy import ComplaintNotFound
from jiuzhu_procurement.contract.policy import ContractNotFound
from jiuzhu_procurement.debarment.policy import DebarmentNotFound
from jiuzhu_procurement.plan.policy import PlanNotFound
from jiuzhu_procurement.project.notice import AwardNotMade
from jiuzhu_procurement.project.policy import BidNotFound, BidSealed, ProjectNotFound

router = APIRouter()

UUID_EXAMPLE = "3f2b6c1e-8a4d-4e2f-9b7a-1c5d2e8f0a61"
PARAMS = {
    "plan_id": ("采购计划 id。Purchase plan id", UUID_EXAMPLE),
    "project_id": ("采购项目 id。Project id", UUID_EXAMPLE),
    "bid_id": ("投标（响应）id。Bid id", UUID_EXAMPLE),
    "contract_id": ("合同 id。Contract id", UUID_EXAMPLE),
    "amendment_no": ("合同变更序号（从 1 起，按变更先后）。The amendment's number, from 1", "1"),
    "period": ("付款期间（合同付款计划中的期间）。The payment's period", "2019-H1"),
    "challenge_id": ("质疑 id。Challenge id", UUID_EXAMPLE),
    "complaint_id": ("投诉 id。Complaint id", UUID_EXAMPLE),
    "debarment_id": ("禁止参加政府采购案件 id。Debarment case id", UUID_EXAMPLE),
}


def _a(
    kind: str, path: str, tag: str, read: service.Resolve, write: service.Resolve, *refusals: type
) -> Attachable:
    return Attachable(kind, path, tag, read, write, refusals, params=PARAMS)


ATTACHABLES = [
    _a("plan", "/plans/{plan_id}", "plans", service.read_plan, service.write_plan, PlanNotFound),
    _a(
        "project",
        "/projects/{project_id}",
        "projects",
        service.read_project,
        service.write_project,
        ProjectNotFound,
    ),
    _a("bid", "/bids/{bid_id}", "projects", service.read_bid, service.write_bid, BidNotFound, BidSealed),
    _a(
        "award",
        "/projects/{project_id}/award",
        "projects",
        service.read_award,
        service.write_award,
        ProjectNotFound,
        AwardNotMade,
    ),
    _a(
        "contract",
        "/contracts/{contract_id}",
        "contracts",
        service.read_contract,
        service.write_contract,
        ContractNotFound,
    ),
    _a(
        "amendment",
        "/contracts/{contract_id}/amendments/{amendment_no}",
        "contracts",
        service.read_amendment,
        service.write_amendment,
        ContractNotFound,
    ),
    _a(
        "payment",
        "/contracts/{contract_id}/payments/{period}",
        "contracts",
        service.read_payment,
        service.write_payment,
        ContractNotFound,
    ),
    _a(
        "challenge",
        "/challenges/{challenge_id}",
        "projects",
        service.read_challenge,
        service.write_challenge,
        ChallengeNotFound,
    ),
    _a(
        "complaint",
        "/complaints/{complaint_id}",
        "complaints",
        service.read_complaint,
        service.write_complaint,
        ComplaintNotFound,
    ),
    _a(
        "debarment",
        "/debarments/{debarment_id}",
        "contractors",
        service.read_debarment,
        service.write_debarment,
        DebarmentNotFound,
    ),
]

for spec in ATTACHABLES:
    add_document_routes(router, spec)
