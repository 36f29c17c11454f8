from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from jiuzhu_kit.errors import NotFound, responses
from jiuzhu_procurement.challenge.machine import MACHINE as CHALLENGE
from jiuzhu_procurement.complaint.machine import MACHINE as COMPLAINT
from jiuzhu_procurement.contract.service import PAYMENT_MACHINE
from jiuzhu_procurement.debarment.machine import MACHINE as DEBARMENT
from jiuzhu_procurement.plan.service import MACHINE as PLAN
from jiuzhu_procurement.project.machine import MACHINE as PROJECT
from jiuzhu_procurement.roster.machine import MACHINE as ROSTER_WORKER
from jiuzhu_procurement.workflow.machine import Machine
from jiuzhu_procurement.workflow.schemas import WorkflowOut

MACHINES: dict[str, Machine] = {
    m.aggregate: m for m in (PROJECT, PLAN, DEBARMENT, CHALLENGE, COMPLAINT, PAYMENT_MACHINE, ROSTER_WORKER)
}

router = APIRouter(prefix="/workflows", tags=["workflows"])


class WorkflowNotFound(NotFound):
    code = "WORKFLOW_NOT_FOUND"
    zh = "没有该流程"
    en = "No such workflow"


def _machine(aggregate: str) -> Machine:
    m = MACHINES.get(aggregate)
    if m is None:
        raise WorkflowNotFound()
    return m


@router.get("", response_model=list[str])
async def list_workflows() -> list[str]:
    """The aggregates that have a transition table."""
    return sorted(MACHINES)


@router.get("/{aggregate}", response_model=WorkflowOut, responses=responses(WorkflowNotFound))
async def get_workflow(aggregate: str) -> WorkflowOut:
    """The transition table as data (roles, payload schema, whether a reason is required) and as Mermaid."""
    m = _machine(aggregate)
    return WorkflowOut(
        aggregate=m.aggregate,
        initial=m.initial,
        states=m.states,
        transitions=m.describe(),
        mermaid=m.mermaid(),
    )


@router.get(
    "/{aggregate}/mermaid",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **responses(WorkflowNotFound)},
)
async def get_workflow_mermaid(aggregate: str) -> str:
    """The table as a Mermaid `stateDiagram-v2` (paste into any Mermaid renderer)."""
    return _machine(aggregate).mermaid()
