"""Documents on evaluation rounds and surveys (jiuzhu_kit.documents mounted in evaluation): each
read as the round's or the survey's policy decides; the round's evaluation report generated as
.docx from its result, with its scores and grade."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import docx
import httpx

from .conftest import LINGWU, USCC
from .test_evaluation_rounds import _scored_round

Auth = Callable[..., dict[str, str]]
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"5" * 2000 + b"\n%%EOF\n"


async def test_round_documents_and_the_generated_evaluation_report(
    client: httpx.AsyncClient, auth: Auth, open_round: Any, survey_with_codes: Any, calendar_ready: None
) -> None:
    rnd = await _scored_round(client, auth, open_round, survey_with_codes)
    rid = rnd["id"]
    bureau = auth("bureau", LINGWU)
    r = await client.post(f"/rounds/{rid}/documents/generated", headers=bureau)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["owner_type"], doc["document_type"], doc["version"]) == (
        "round",
        "x_performanceEvaluation",
        1,
    )
    got = await client.get(doc["url"], headers=auth("auditor", LINGWU))
    report = docx.Document(io.BytesIO(got.content))
    text = [p.text for p in report.paragraphs]
    assert "综合得分：92.86" in text and "评价等级：优秀" in text and "是否合格：合格" in text
    assert "购买主体：100.00" in text
    dims = {row.cells[0].text: row.cells[3].text for row in report.tables[0].rows[1:]}
    assert {d["dimension"]: d["score"] for d in rnd["result"]["dimensions"]} == dims
    # The same result: the same version.
    again = await client.post(f"/rounds/{rid}/documents/generated", headers=bureau)
    assert again.json()["id"] == doc["id"]

    # The contractor attaches its evidence; the purchaser reads it; another county sees nothing.
    contractor = auth("contractor", LINGWU, org=USCC)
    r = await client.post(
        f"/rounds/{rid}/documents",
        params={"document_type": "x_appeal", "title": "申诉材料"},
        content=PDF,
        headers=contractor | {"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    listed = (await client.get(f"/rounds/{rid}/documents", headers=bureau)).json()
    assert sorted(d["title"] for d in listed) == ["申诉材料", "绩效评价报告（系统生成）"]
    other = auth("bureau", "310104")
    r = await client.get(f"/rounds/{rid}/documents", headers=other)
    assert (r.status_code, r.json()["code"]) == (404, "ROUND_NOT_FOUND")
    r = await client.post(f"/rounds/{rid}/documents/generated", headers=auth("finance", LINGWU))
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
    verify = await client.get(f"/rounds/{rid}/events/verify", headers=auth("auditor", LINGWU))
    assert verify.json()["ok"] is True


async def test_survey_documents_follow_the_surveys_policy(
    client: httpx.AsyncClient, auth: Auth, open_round: Any, survey_with_codes: Any
) -> None:
    rnd = await open_round(period="2019-H2")
    sid, _ = await survey_with_codes(rnd["id"], 2)
    bureau = auth("bureau", LINGWU)
    r = await client.post(
        f"/surveys/{sid}/documents",
        params={"document_type": "x_surveyReport", "title": "问卷抽样记录"},
        content=PDF,
        headers=bureau | {"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    r = await client.get(f"/surveys/{sid}/documents/{doc['id']}/content", headers=auth("finance", LINGWU))
    assert (r.status_code, r.content) == (200, PDF)
    r = await client.post(
        f"/surveys/{sid}/documents",
        params={"document_type": "x_surveyReport", "title": "x"},
        content=PDF,
        headers=auth("contractor", LINGWU, org=USCC) | {"Content-Type": "application/pdf"},
    )
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
    r = await client.get(f"/surveys/{sid}/documents", headers=auth("bureau", "310104"))
    assert (r.status_code, r.json()["code"]) == (404, "SURVEY_NOT_FOUND")
