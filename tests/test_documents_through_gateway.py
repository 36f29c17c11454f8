"""Documents through the real gateway and service processes: a file of several MiB uploaded as a
stream (chunked, and with its length), downloaded whole, by range and conditionally, and an
over-long upload refused with 413 before anything is stored; and documents along a whole purchase
as each role, sealed bids' files sealed until the opening, the generated tripartite contract."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest

from jiuzhu_devtools.testing import LiveStack, test_today
from jiuzhu_kit.documents.store import key_of
from tests.stories import Walk, uscc

LIMIT = 8 * 1024 * 1024
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * (5 * 4096) + b"\n%%EOF\n"  # ~5 MiB


@pytest.fixture(scope="module")
def docs_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="jiuzhu-gw-documents-") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def stack(database_url: str, docs_dir: Path) -> Iterator[LiveStack]:
    env = {"PROCUREMENT_DOCUMENTS_DIR": str(docs_dir), "PROCUREMENT_DOCUMENTS_MAX_BYTES": str(LIMIT)}
    s = LiveStack(database_url, extra_env=env)
    try:
        s.wait_ready()
        yield s
    finally:
        s.close()


async def test_a_document_streams_through_the_gateway_both_ways(
    stack: LiveStack, auth: Callable[..., dict[str, str]], docs_dir: Path
) -> None:
    bureau = auth("bureau", "640181")
    sha = hashlib.sha256(PDF).hexdigest()
    async with httpx.AsyncClient(base_url=f"{stack.gateway}/api/procurement", timeout=60) as c:
        plan = {
            "division_code": "640181",
            "year": test_today().year,
            "title": "灵武市年度购买社会救助服务计划",
            "budget_lines": [{"funding_source": "working_funds", "amount": "100000.00", "scope": "入户核查"}],
        }
        r = await c.post("/plans", json=plan, headers=bureau)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        params = {"document_type": "procurementPlan", "title": "年度计划（扫描件）"}

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(PDF), 256 * 1024):
                yield PDF[i : i + 256 * 1024]

        r = await c.post(
            f"/plans/{pid}/documents",
            params=params,
            content=chunks(),
            headers=bureau | {"Content-Type": "application/pdf"},
        )
        assert r.status_code == 201, r.text
        doc = r.json()
        assert (doc["sha256"], doc["size"]) == (sha, len(PDF))
        assert (docs_dir / "procurement" / "sha256" / sha[:2] / sha).read_bytes() == PDF
        # With a Content-Length this time: the same bytes, stored once.
        r = await c.post(
            f"/plans/{pid}/documents",
            params=params,
            content=PDF,
            headers=bureau | {"Content-Type": "application/pdf"},
        )
        assert r.status_code == 201 and r.json()["sha256"] == sha

        url = f"/plans/{pid}/documents/{doc['id']}/content"
        r = await c.get(url, headers=bureau)
        assert (r.status_code, r.headers["etag"], r.headers["content-length"]) == (
            200,
            f'"{sha}"',
            str(len(PDF)),
        )
        assert r.content == PDF
        r = await c.get(url, headers=bureau | {"Range": "bytes=1048576-1048675"})
        assert (r.status_code, r.content) == (206, PDF[1048576:1048676])
        assert r.headers["content-range"] == f"bytes 1048576-1048675/{len(PDF)}"
        r = await c.get(url, headers=bureau | {"If-None-Match": f'"{sha}"'})
        assert (r.status_code, r.content) == (304, b"")

        # Declared too long: refused by the service before the body is read, nothing stored.
        big = PDF + b"0" * LIMIT
        r = await c.post(
            f"/plans/{pid}/documents",
            params=params,
            content=big,
            headers=bureau | {"Content-Type": "application/pdf"},
        )
        assert (r.status_code, r.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
        assert [p.name for p in (docs_dir / "procurement").rglob("*") if p.is_file()] == [sha]


LINGWU = "640181"
P = "/api/procurement"
SEALED = "响应文件正文：入户核查人员配置与报价构成 SEALED-IN-THE-STORY".encode() * 40
CLAUSES = (
    "服务标的",
    "服务标准",
    "服务数量",
    "服务期限",
    "服务报酬",
    "付款方式",
    "违约责任",
    "解决争议的方式",
)


def _on_disk(docs_dir: Path) -> list[bytes]:
    return [p.read_bytes() for p in (docs_dir / "procurement").rglob("*") if p.is_file()]


async def test_documents_along_a_whole_purchase_as_each_role(
    stack: LiveStack, token: Callable[..., str], docs_dir: Path
) -> None:
    """Plan, project, sealed bids, award, tripartite contract: each role attaches, lists, downloads
    and supersedes what its part of the purchase produces, through the gateway; a sealed bid's file
    stays sealed (and encrypted on disk) until the opening; the generated Lingwu contract opens with
    python-docx showing the three parties and every clause seed 003 三(五)2 requires."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=60) as client:
        w = Walk(client, token)
        await w.ensure_calendar(test_today().year + 1)
        bureau, finance, auditor = ("bureau", LINGWU), ("finance", LINGWU), ("auditor", LINGWU)

        async def attach(
            path: str, who: tuple[str, ...], data: bytes, mt: str, doc_type: str, title: str
        ) -> Any:
            role, div, *org = who
            r = await client.post(
                f"{P}{path}/documents",
                params={"document_type": doc_type, "title": title},
                content=data,
                headers=w.h(role, div, org=org[0] if org else None) | {"Content-Type": mt},
            )
            assert r.status_code == 201, r.text
            return r.json()

        async def fetch(url: str, who: tuple[str, ...], status: int = 200) -> httpx.Response:
            role, div, *org = who
            r = await client.get(f"{P}{url}", headers=w.h(role, div, org=org[0] if org else None))
            assert r.status_code == status, r.text
            return r

        # 1. The plan: the bureau files the approved plan's scan and generates the .docx; finance reads.
        line = {"funding_source": "working_funds", "amount": "3000000.00", "scope": "入户核查服务"}
        plan = await w.plan(LINGWU, test_today().year, [line], "灵武市购买社会救助服务年度计划")
        await attach(
            f"/plans/{plan}", bureau, PDF, "application/pdf", "procurementPlan", "计划批复（扫描件）"
        )
        gen = await w.call("POST", f"{P}/plans/{plan}/documents/generated", bureau, expect=201)
        assert gen["document_type"] == "procurementPlan"
        listed = await w.call("GET", f"{P}/plans/{plan}/documents", finance)
        assert sorted(d["title"] for d in listed) == ["年度购买服务计划（系统生成）", "计划批复（扫描件）"]
        # The purchaser it names, from the registry, is public (no token), cacheable.
        r = await client.get("/api/public/procurement/purchasers/640181")
        assert (r.status_code, r.json()["name"]) == (200, "灵武市民政局"), r.text
        again = await client.get(
            "/api/public/procurement/purchasers/640181", headers={"If-None-Match": r.headers["ETag"]}
        )
        assert again.status_code == 304
        r = await client.get("/api/public/procurement/purchasers/640104")
        assert (r.status_code, r.json()["code"]) == (404, "PURCHASER_NOT_FOUND")

        # 2. The project: the tender notice, then its correction superseding it.
        body = {
            "plan_id": plan,
            "division_code": LINGWU,
            "title": "灵武市社会救助入户核查服务",
            "items": ["AS01"],
            "budget": "2950000.00",
            "funding_source": "working_funds",
        }
        pid = str((await w.call("POST", f"{P}/projects", bureau, json=body, expect=201))["id"])
        # The project commits part of the plan: the generated plan was regenerated in its commit.
        listed = await w.call("GET", f"{P}/plans/{plan}/documents", finance)
        assert [d["version"] for d in listed if d["id"] != gen["id"] and d["title"] == gen["title"]] == [2]
        await w.tr("projects", pid, "approved", finance)
        await w.tr(
            "projects", pid, "announced", bureau, {"method": "open_tender", "scoring": {"price_weight": "30"}}
        )
        notice = await attach(f"/projects/{pid}", bureau, PDF, "application/pdf", "tenderNotice", "招标公告")
        r = await client.post(
            f"{P}/projects/{pid}/documents/{notice['id']}/versions",
            params={"title": "招标公告（更正）"},
            content=PDF + b"%correction\n",
            headers=w.h(*bureau) | {"Content-Type": "application/pdf"},
        )
        assert r.status_code == 201 and r.json()["version"] == 2, r.text
        history = await w.call("GET", f"{P}/projects/{pid}/documents", auditor, params={"history": "true"})
        assert [(d["title"], d["version"]) for d in history] == [("招标公告", 1), ("招标公告（更正）", 2)]

        # 3. Three bids; A's response file is sealed: only A reads it, and on disk it is ciphertext.
        a, b = uscc("91", LINGWU, 811), uscc("91", LINGWU, 812)
        await w.register(a, "灵武市文档甲社会工作服务中心", LINGWU)
        await w.register(b, "灵武市文档乙社会工作服务中心", LINGWU)
        third = uscc("91", LINGWU, 813)
        await w.register(third, "灵武市文档丙社会工作服务中心", LINGWU)
        bid_a = (await w.bid(pid, a, LINGWU, "2800000.00"))["id"]
        await w.bid(pid, b, LINGWU, "2700000.00")
        await w.bid(pid, third, LINGWU, "2750000.00")
        sealed = await attach(
            f"/bids/{bid_a}",
            ("contractor", LINGWU, a),
            SEALED,
            "text/plain",
            "submissionDocuments",
            "响应文件",
        )
        url = f"/bids/{bid_a}/documents/{sealed['id']}/content"
        assert (await fetch(url, ("contractor", LINGWU, a))).content == SEALED
        assert (await fetch(url, bureau, 409)).json()["code"] == "BID_SEALED"
        assert (await fetch(url, ("contractor", LINGWU, b), 404)).json()["code"] == "BID_NOT_FOUND"
        assert not [x for x in _on_disk(docs_dir) if b"SEALED-IN-THE-STORY" in x]

        # 4. The opening: the purchaser's side reads it; it is an ordinary stored file now, so a
        # range, a conditional request and a range past its end are answered as for any file.
        await w.tr("projects", pid, "bidding_closed", bureau)
        assert (await fetch(url, bureau)).content == SEALED
        assert (await fetch(url, auditor)).content == SEALED
        r = await client.get(f"{P}{url}", headers=w.h(*bureau) | {"Range": "bytes=100-199"})
        assert (r.status_code, r.content) == (206, SEALED[100:200])
        assert r.headers["Content-Range"] == f"bytes 100-199/{len(SEALED)}"
        r = await client.get(f"{P}{url}", headers=w.h(*bureau) | {"If-None-Match": r.headers["ETag"]})
        assert r.status_code == 304
        r = await client.get(f"{P}{url}", headers=w.h(*bureau) | {"Range": f"bytes={len(SEALED)}-"})
        assert (r.status_code, r.json()["code"]) == (416, "RANGE_NOT_SATISFIABLE")
        await w.tr("projects", pid, "qualification_review", bureau)
        await w.qualify_all(pid, LINGWU)
        await w.tr("projects", pid, "scoring", bureau)
        bids = await w.call("GET", f"{P}/projects/{pid}/bids", bureau)
        members = [{"id": f"m{i}", "expert": i > 0} for i in range(5)]
        scores = [{"bid_id": x["id"], "member_id": m["id"], "score": "70"} for x in bids for m in members]
        await w.call(
            "POST", f"{P}/projects/{pid}/scoring", bureau, json={"members": members, "scores": scores}
        )
        p = await w.tr("projects", pid, "awarded", bureau)
        winner = p["awarded_uscc"]

        # 5. The award: the generated notice on the project, the panel's report on the award, read by the winner.
        notice = await w.call("POST", f"{P}/projects/{pid}/documents/generated", bureau, expect=201)
        assert notice["document_type"] == "awardNotice"
        await attach(
            f"/projects/{pid}/award", bureau, PDF, "application/pdf", "evaluationReports", "评审报告"
        )
        got = await w.call("GET", f"{P}/projects/{pid}/award/documents", ("contractor", LINGWU, winner))
        assert [d["title"] for d in got] == ["评审报告"]

        # 6. The tripartite contract, generated and opened as Word would.
        contract = {
            "subject": "社会救助入户核查员服务",
            "service_standards": "专职专责行使入户核查职能",
            "quantity": "13 名入户核查员",
            "term_start": "2019-01-01",
            "term_end": "2019-12-31",
            "payment_method": "按半年度评价结果拨付",
            "payment_schedule": [
                {"period": "2019-H1", "amount": p["awarded_amount"], "due_on": "2019-06-28"},
            ],
            "breach_liability": "按合同约定追究违约责任",
            "dispute_resolution": "协商不成向灵武市人民法院起诉",
            "other_parties": [{"role": "township", "name": "崇兴镇人民政府", "division_code": "640181100"}],
            "takeover_plan": "承接主体不能履约时由市民政局临时接管入户核查工作",
        }
        c = await w.call("POST", f"{P}/projects/{pid}/contract", bureau, json=contract, expect=201)
        cid = c["id"]
        doc = await w.call("POST", f"{P}/contracts/{cid}/documents/generated", bureau, expect=201)
        raw = (await fetch(doc["url"].removeprefix(P), ("contractor", LINGWU, winner))).content
        text = [x.text for x in docx.Document(io.BytesIO(raw)).paragraphs]
        assert text[0] == "政府购买社会救助服务三方协议"
        assert text[1].startswith("甲方（购买主体）：灵武市民政局")
        assert text[2].startswith("乙方（承接主体）：") and winner in text[2]
        assert text[3] == "丙方（乡镇人民政府、街道办事处）：崇兴镇人民政府（640181100）"
        for clause in CLAUSES:
            assert any(t.startswith("第") and t.endswith(clause) for t in text), clause
        # The contractor files its staffing plan on the contract; the bureau reads it.
        staffing = await attach(
            f"/contracts/{cid}",
            ("contractor", LINGWU, winner),
            PDF,
            "application/pdf",
            "x_takeoverPlan",
            "人员派遣方案",
        )
        assert (await fetch(f"/contracts/{cid}/documents/{staffing['id']}/content", bureau)).content == PDF

        # 7. Every chain the documents joined verifies, the files' hashes included.
        for path in (f"plans/{plan}", f"projects/{pid}", f"contracts/{cid}"):
            v = await w.call("GET", f"{P}/{path}/events/verify", auditor)
            assert v["ok"] is True, (path, v)

        # 8. A stored file replaced on disk: the chain that recorded its hash says so.
        blob = docs_dir / "procurement" / key_of(staffing["sha256"])
        original = blob.read_bytes()
        blob.write_bytes(original.replace(b"%%EOF", b"%%EOX"))
        try:
            v = await w.call("GET", f"{P}/contracts/{cid}/events/verify", auditor)
            assert v["ok"] is False and "document" in v["reason"], v
        finally:
            blob.write_bytes(original)
