"""The annual purchase plan as .docx, from the template kept as data (templates/annual_plan.yaml):
the purchaser from the registry, the plan's budget lines with what projects have committed of each.
The same plan data gives the same bytes; when the plan changes (its lines, its approval, a project
committing part of it), the next generation is a new version superseding the last."""

from __future__ import annotations

import io
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import docx
import yaml
from sqlalchemy import Select, String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.documents.api import Owner
from jiuzhu_kit.documents.generated import Generator, Rendered
from jiuzhu_procurement.contract.document import DOCX, EPOCH, stable
from jiuzhu_procurement.plan import service
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.plan.policy import POLICY, PlanNotFound
from jiuzhu_procurement.plan.schemas import PlanOut
from jiuzhu_procurement.project.models import Project
from jiuzhu_procurement.purchaser.registry import purchaser_of

TITLE = "年度购买服务计划（系统生成）"
DOCUMENT_TYPE = "procurementPlan"
_TEMPLATE = Path(__file__).parent / "templates" / "annual_plan.yaml"


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_TEMPLATE.read_text(encoding="utf-8"))
    return loaded


def render(plan: PlanOut) -> bytes:
    t = template()
    who = purchaser_of(plan.division_code)
    values = {
        "purchaser": who.name,
        "address": "".join(x for x in (who.region, who.locality) if x)
        or f"行政区划代码 {plan.division_code}",
        "year": str(plan.year),
        "title": plan.title,
        "status": t["statuses"].get(plan.status, plan.status),
        "total": f"人民币 {plan.total} 元",
    }
    d = docx.Document()
    d.core_properties.created = d.core_properties.modified = EPOCH
    d.core_properties.title = t["title"].format(purchaser=who.name, year=plan.year)
    d.add_heading(d.core_properties.title, level=0)
    for line in t["lines"]:
        d.add_paragraph(f"{line['label']}：{values[line['field']]}")
    d.add_heading(t["budget_heading"], level=1)
    table = d.add_table(rows=1 + len(plan.budget_lines), cols=len(t["budget_columns"]))
    for i, head in enumerate(t["budget_columns"]):
        table.rows[0].cells[i].text = head
    for row, line in zip(table.rows[1:], plan.budget_lines, strict=True):
        cells = (
            t["funding_sources"].get(line.funding_source, line.funding_source),
            str(line.amount),
            line.scope,
            str(line.committed),
            str(line.remaining),
        )
        for i, text in enumerate(cells):
            row.cells[i].text = text
    if plan.decision:
        d.add_paragraph(f"{t['decision_label']}：{plan.decision}")
    d.add_paragraph(t["closing"].format(purchaser=who.name))
    out = io.BytesIO()
    d.save(out)
    return stable(out.getvalue())


async def current(app: Any, session: AsyncSession, plan_id: str) -> Rendered:
    """The plan's document from its data now, its commitments included (reloaded: fresh)."""
    fresh = select(PurchasePlan).where(PurchasePlan.id == uuid.UUID(plan_id))
    plan = (await session.execute(fresh.execution_options(populate_existing=True))).scalar_one_or_none()
    if plan is None:
        raise PlanNotFound()
    return Rendered(
        Owner("plan", str(plan.id), plan.division_code, POLICY.aggregate, str(plan.id)),
        render(await service.out(session, plan)),
        DOCX,
        DOCUMENT_TYPE,
    )


def _plans_of_projects(project_ids: list[str]) -> Select[Any]:
    """A project's writes (created, its budget, cancelled) change what its plan shows committed."""
    ids = [uuid.UUID(i) for i in project_ids]
    return select(cast(Project.plan_id, String)).where(Project.id.in_(ids), Project.plan_id.is_not(None))


GENERATOR = Generator("plan", POLICY.aggregate, TITLE, current, follows={"project": _plans_of_projects})
