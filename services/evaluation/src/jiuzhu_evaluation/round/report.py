"""A round's evaluation report as .docx, from the template kept as data
(templates/evaluation_report.yaml): who was evaluated, for which period and contract, each
dimension's score, each party's, the total and the grade. The same round data gives the same bytes,
so a regeneration that changes nothing stores nothing new, and one after a change (a revision after
an appeal) is a new version superseding the old."""

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

from jiuzhu_evaluation.round import purchaser
from jiuzhu_evaluation.round.models import EvaluationRound
from jiuzhu_evaluation.round.policy import POLICY, RoundNotFound
from jiuzhu_kit.documents.api import Owner
from jiuzhu_kit.documents.generated import Generator, Rendered
from jiuzhu_kit.errors import Conflict

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = "绩效评价报告（系统生成）"
DOCUMENT_TYPE = "x_performanceEvaluation"
_TEMPLATE = Path(__file__).parent / "templates" / "evaluation_report.yaml"
EPOCH = datetime(2000, 1, 1)  # fixed document dates: the same data, the same bytes


class RoundResultNotReady(Conflict):
    code = "ROUND_RESULT_NOT_READY"
    zh = "该评价轮次尚未汇总出结果，无法生成评价报告"
    en = "The round has no result yet: there is no report to generate"


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_TEMPLATE.read_text(encoding="utf-8"))
    return loaded


def _values(r: EvaluationRound, t: dict[str, Any], purchaser: str) -> dict[str, str]:
    result = r.result or {}
    passed = result.get("passed", r.passed)
    return {
        "purchaser": f"{purchaser}（{r.purchaser_division}）",
        "contractor": r.contractor_uscc,
        "contract": str(r.contract_id),
        "period": r.period,
        "template": f"{r.template_code} 第 {r.template_version} 版",
        "status": t["statuses"].get(r.status, r.status),
        "total": str(result.get("total", r.total)),
        "grade": str(result.get("grade", r.grade)),
        "passed": "合格" if passed else "不合格",
    }


def render(r: EvaluationRound, purchaser: str) -> bytes:
    """The report of round `r`, whose purchaser is named `purchaser` (the registry's, purchaser.py)."""
    if not r.result:
        raise RoundResultNotReady()
    t = template()
    values = _values(r, t, purchaser)
    d = docx.Document()
    d.core_properties.created = d.core_properties.modified = EPOCH
    d.core_properties.title = t["title"].format(period=r.period)
    d.add_heading(d.core_properties.title, level=0)
    for line in t["lines"]:
        d.add_paragraph(f"{line['label']}：{values[line['field']]}")
    d.add_heading(t["scores_heading"], level=1)
    dims = r.result.get("dimensions", [])
    table = d.add_table(rows=1 + len(dims), cols=len(t["score_columns"]))
    for i, head in enumerate(t["score_columns"]):
        table.rows[0].cells[i].text = head
    for row, dim in zip(table.rows[1:], dims, strict=True):
        for i, key in enumerate(("dimension", "name", "weight", "score")):
            row.cells[i].text = str(dim.get(key, ""))
    d.add_heading(t["parties_heading"], level=1)
    for party, score in sorted((r.result.get("by_party") or {}).items()):
        d.add_paragraph(f"{t['party_names'].get(party, party)}：{score}")
    d.add_heading(t["result_heading"], level=1)
    for line in t["result_lines"]:
        d.add_paragraph(f"{line['label']}：{values[line['field']]}")
    d.add_paragraph(t["closing"])
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


async def current(app: Any, session: AsyncSession, round_id: str) -> Rendered:
    """The round's report from its result now (reloaded: fresh), its purchaser named by procurement's
    registry; RoundResultNotReady before a result, PurchaserUnavailable when procurement is down."""
    fresh = select(EvaluationRound).where(EvaluationRound.id == uuid.UUID(round_id))
    r = (await session.execute(fresh.execution_options(populate_existing=True))).scalar_one_or_none()
    if r is None:
        raise RoundNotFound()
    if not r.result:
        raise RoundResultNotReady()
    name = await purchaser.name_of(app, r.purchaser_division)
    return Rendered(
        Owner("round", str(r.id), r.purchaser_division, POLICY.aggregate, str(r.id)),
        render(r, name),
        DOCX,
        DOCUMENT_TYPE,
    )


GENERATOR = Generator("round", POLICY.aggregate, TITLE, current)
