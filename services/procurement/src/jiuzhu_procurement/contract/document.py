"""The contract as the .docx a bureau edits and signs, from the template kept as data
(templates/contract.yaml): its parties (the purchaser named by the registry), the eight clauses
seed 003 三(五)2 requires, and the tripartite form when a third party signs (seed 002 三(八))."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import docx
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.documents.api import Owner
from jiuzhu_kit.documents.generated import Generator, Rendered
from jiuzhu_procurement.contract.models import Contract
from jiuzhu_procurement.contract.policy import POLICY, ContractNotFound
from jiuzhu_procurement.project.models import Project

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = "政府购买社会救助服务合同（系统生成）"
_TEMPLATE = Path(__file__).parent / "templates" / "contract.yaml"
# Fixed document dates: the same contract data gives the same bytes (a regeneration that changes
# nothing stores nothing new).
EPOCH = datetime(2000, 1, 1)


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_TEMPLATE.read_text(encoding="utf-8"))
    return loaded


def _fields(c: Contract, t: dict[str, Any]) -> dict[str, str]:
    lines = [
        f"{p['period']}：人民币 {p['amount']} 元" + (f"，{p['due_on']} 前" if p.get("due_on") else "")
        for p in c.payment_schedule
    ]
    return {
        "subject": c.subject,
        "service_standards": c.service_standards,
        "quantity": c.quantity,
        "term": f"自 {c.term_start.isoformat()} 起至 {c.term_end.isoformat()} 止"
        + (f"（{c.term_reason}）" if c.term_reason else ""),
        "price": f"合同总价人民币 {c.price} 元",
        "payment": "\n".join([c.payment_method, *lines]),
        "breach_liability": c.breach_liability,
        "dispute_resolution": c.dispute_resolution,
        "takeover_plan": c.takeover_plan,
        "no_subcontracting": t["no_subcontracting"],
    }


def render(c: Contract, project_title: str) -> bytes:
    t = template()
    tripartite = len(c.parties) > 2
    kind = "三方协议" if tripartite else "合同"
    d = docx.Document()
    d.core_properties.created = d.core_properties.modified = EPOCH
    d.core_properties.title = t["title_tripartite"] if tripartite else t["title"]
    d.add_heading(d.core_properties.title, level=0)
    for p in c.parties:
        role = t["roles"].get(p.get("role"), t["roles"]["other"])
        ident = p.get("uscc") or p.get("division_code") or ""
        d.add_paragraph(f"{role}：{p['name']}" + (f"（{ident}）" if ident else ""))
    d.add_paragraph(t["preamble"].format(project_title=project_title, kind=kind))
    values = _fields(c, t)
    for clause in t["clauses"]:
        d.add_heading(clause["heading"], level=1)
        for line in values[clause["field"]].split("\n"):
            d.add_paragraph(line)
    for p in c.parties:
        role = t["roles"].get(p.get("role"), t["roles"]["other"])
        d.add_paragraph(t["signature"].format(role=role, name=p["name"]))
    out = io.BytesIO()
    d.save(out)
    return stable(out.getvalue())


def stable(blob: bytes) -> bytes:
    """The package with fixed entry times (zipfile stamps each entry with the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0)),
                src.read(info),
                zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


async def current(app: Any, session: AsyncSession, contract_id: str) -> Rendered:
    """The contract's document from its data now (reloaded: the write may have gone around the ORM)."""
    fresh = (
        select(Contract)
        .where(Contract.id == uuid.UUID(contract_id))
        .execution_options(populate_existing=True)
    )
    c = (await session.execute(fresh)).scalar_one_or_none()
    if c is None:
        raise ContractNotFound()
    title = (await session.execute(select(Project.title).where(Project.id == c.project_id))).scalar()
    return Rendered(
        Owner("contract", str(c.id), c.division_code, POLICY.aggregate, str(c.id)),
        render(c, title or c.subject),
        DOCX,
        "contractSigned" if c.signed_on else "contractDraft",
    )


GENERATOR = Generator("contract", POLICY.aggregate, TITLE, current)
