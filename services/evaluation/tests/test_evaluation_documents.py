"""Documents on evaluation rounds and surveys (jiuzhu_kit.documents mounted in evaluation): each
read as the round's or the survey's policy decides; the round's evaluation report generated as
.docx from its result, with its scores and grade."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import docx
import httpx
import pytest_asyncio

from jiuzhu_devtools.testing import TEST_SECRET, service_client
from jiuzhu_evaluation.app import create
from jiuzhu_evaluation.settings import Settings
from jiuzhu_procurement.app import create as create_procurement
from jiuzhu_procurement.settings import Settings as ProcurementSettings

from .conftest import LINGWU, USCC
from .test_evaluation_rounds import _scored_round

Auth = Callable[..., dict[str, str]]
TITLE = "绩效评价报告（系统生成）"


def _settings(database_url: str, procurement: str) -> Settings:
    env = {"DATABASE_URL": database_url, "JWT_SECRET": TEST_SECRET, "JIUZHU_ENVIRONMENT": "test"}
    return Settings(**env, PROCUREMENT_SERVICE_URL=procurement)


@pytest_asyncio.fixture(loop_scope="session")
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Evaluation with procurement's app in-process as its peer (the purchaser registry's read)."""
    env = {"DATABASE_URL": database_url, "JWT_SECRET": TEST_SECRET, "JIUZHU_ENVIRONMENT": "test"}
    procurement = create_procurement(ProcurementSettings(**env))
    app = create(_settings(database_url, "http://procurement"))
    app.state.peer_transports = {
        "procurement": httpx.ASGITransport(app=procurement, raise_app_exceptions=False)
    }
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(service_client(procurement))
        yield await stack.enter_async_context(service_client(app))


@pytest_asyncio.fixture(loop_scope="session")
async def cut_off(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Evaluation whose procurement is unreachable (nothing listens on port 9)."""
    async with service_client(create(_settings(database_url, "http://127.0.0.1:9"))) as c:
        yield c


async def _versions(client: httpx.AsyncClient, auth: Auth, rid: str) -> list[dict[str, Any]]:
    r = await client.get(
        f"/rounds/{rid}/documents", params={"history": "true"}, headers=auth("auditor", LINGWU)
    )
    return [d for d in r.json() if d["title"] == TITLE]


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
    assert "一、购买主体：灵武市民政局（640181）" in text  # named by procurement's registry
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


async def test_the_report_follows_the_round_and_needs_the_purchasers_name(
    client: httpx.AsyncClient,
    cut_off: httpx.AsyncClient,
    auth: Auth,
    open_round: Any,
    survey_with_codes: Any,
    calendar_ready: None,
) -> None:
    """Once generated, the report is regenerated in the commit of each write to its round (the
    publication: its status); with procurement unreachable the purchaser cannot be named: the
    generation and any write that would regenerate are 503 PURCHASER_UNAVAILABLE, nothing written."""
    rnd = await _scored_round(client, auth, open_round, survey_with_codes)
    rid = rnd["id"]
    bureau = auth("bureau", LINGWU)
    r = await cut_off.post(f"/rounds/{rid}/documents/generated", headers=bureau)
    assert (r.status_code, r.json()["code"]) == (503, "PURCHASER_UNAVAILABLE")
    assert await _versions(client, auth, rid) == []
    # No report yet: the round's writes do not ask procurement anything.
    r = await client.post(f"/rounds/{rid}/documents/generated", headers=bureau)
    assert r.status_code == 201, r.text
    v1 = r.json()

    # Procurement unreachable: the publication would change the report, so it is refused whole.
    r = await cut_off.post(f"/rounds/{rid}/publish", headers=bureau)
    assert (r.status_code, r.json()["code"]) == (503, "PURCHASER_UNAVAILABLE")
    assert (await client.get(f"/rounds/{rid}", headers=bureau)).json()["status"] == "closed"
    assert [d["id"] for d in await _versions(client, auth, rid)] == [v1["id"]]

    # Reachable: published, and the report's new version says so, in the same commit.
    r = await client.post(f"/rounds/{rid}/publish", headers=bureau)
    assert r.status_code == 200, r.text
    got = await _versions(client, auth, rid)
    assert [(d["version"], d["supersedes"]) for d in got] == [(1, None), (2, v1["id"])]
    text = [
        p.text
        for p in docx.Document(
            io.BytesIO((await client.get(got[1]["url"], headers=bureau)).content)
        ).paragraphs
    ]
    assert "六、评价状态：已公示" in text
    events = (await client.get(f"/rounds/{rid}/events", headers=auth("auditor", LINGWU))).json()
    assert [e["action"] for e in events][-2:] == ["round.published", "document.attached"]
    verify = await client.get(f"/rounds/{rid}/events/verify", headers=auth("auditor", LINGWU))
    assert verify.json()["ok"] is True
