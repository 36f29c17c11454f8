"""The award notice of a project as .docx, from the template kept as data (templates/award_notice.yaml):
the purchaser from the registry, the supplier and amount of the award, the challenge window."""

from __future__ import annotations

import io
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import docx
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.documents.api import Owner
from jiuzhu_kit.documents.generated import Generator, Rendered
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.contract.document import DOCX, EPOCH, stable
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.project.models import Project
from jiuzhu_procurement.project.policy import POLICY, ProjectNotFound
from jiuzhu_procurement.purchaser.registry import purchaser_of


class AwardNotMade(Conflict):
    code = "AWARD_NOT_MADE"
    zh = "项目尚未确定中标（成交）供应商，无法生成结果公告"
    en = "The project has no award yet: there is no result to announce"


TITLE = "中标（成交）结果公告（系统生成）"
_TEMPLATE = Path(__file__).parent / "templates" / "award_notice.yaml"


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_TEMPLATE.read_text(encoding="utf-8"))
    return loaded


def render(p: Project, supplier_name: str) -> bytes:
    t = template()
    purchaser = purchaser_of(p.division_code).name
    kind = t["kinds"].get(p.method or "", t["kinds"]["default"])
    values = {
        "purchaser": purchaser,
        "project_title": p.title,
        "method": t["methods"].get(p.method or "", p.method or ""),
        "items": "、".join(p.items) + (f"（{p.quantity}）" if p.quantity else ""),
        "supplier": f"{supplier_name}（统一社会信用代码 {p.awarded_uscc}）",
        "amount": f"人民币 {p.awarded_amount} 元",
        "awarded_on": p.awarded_on.isoformat() if p.awarded_on else "",
        "challenge": (
            f"供应商认为结果使自己的权益受到损害的，可在 {p.challenge_deadline.isoformat()} 前书面提出质疑（政府采购法 第五十二条）"
            if p.challenge_deadline
            else ""
        ),
    }
    d = docx.Document()
    d.core_properties.created = d.core_properties.modified = EPOCH
    d.core_properties.title = t["title"].format(project_title=p.title, kind=kind)
    d.add_heading(d.core_properties.title, level=0)
    for line in t["lines"]:
        d.add_paragraph(f"{line['label']}：{values[line['field']]}")
    d.add_paragraph(t["closing"].format(purchaser=purchaser))
    out = io.BytesIO()
    d.save(out)
    return stable(out.getvalue())


async def current(app: Any, session: AsyncSession, project_id: str) -> Rendered:
    """The award notice from the project's award now (reloaded: fresh); AwardNotMade without one."""
    fresh = select(Project).where(Project.id == uuid.UUID(project_id))
    p = (await session.execute(fresh.execution_options(populate_existing=True))).scalar_one_or_none()
    if p is None:
        raise ProjectNotFound()
    if p.awarded_uscc is None or p.awarded_amount is None:
        raise AwardNotMade()
    name = (await session.execute(select(Contractor.name).where(Contractor.uscc == p.awarded_uscc))).scalar()
    return Rendered(
        Owner("project", str(p.id), p.division_code, POLICY.aggregate, str(p.id)),
        render(p, name or p.awarded_uscc),
        DOCX,
        "awardNotice",
    )


GENERATOR = Generator("project", POLICY.aggregate, TITLE, current)
