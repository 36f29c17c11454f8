"""Documents on the procurement aggregates: upload, list, download (Range, If-None-Match),
supersede; each read decided by the aggregate's policy (another county: 404; a sealed bid's
documents: its bidder's alone until the opening); refusals with their codes and nothing stored; a
stored file replaced on disk caught by the chain's verify route."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest_asyncio

from jiuzhu_devtools.testing import TEST_SECRET, service_client, test_today
from jiuzhu_kit.documents.store import key_of
from jiuzhu_procurement.app import create
from jiuzhu_procurement.settings import Settings

from .conftest import LINGWU, SH_DISTRICT, Kit
from .test_procurement_payments import awarded, contract_body

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"7" * 20000 + b"\n%%EOF\n"
PDF_V2 = PDF.replace(b"7" * 100, b"8" * 100, 1)
PDF_MT = "application/pdf"
DOCX_MT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest_asyncio.fixture(loop_scope="session")
async def docs_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest_asyncio.fixture(loop_scope="session")
async def dkit(database_url: str, auth: Callable[..., dict[str, str]], docs_dir: Path) -> AsyncIterator[Kit]:
    settings = Settings(
        DATABASE_URL=database_url,
        JWT_SECRET=TEST_SECRET,
        JIUZHU_ENVIRONMENT="test",
        documents_dir=str(docs_dir),
        documents_max_bytes=100_000,
    )
    app = create(settings)
    async with service_client(app) as c:
        kit = Kit(c, auth, database_url)
        kit.__dict__["app"] = app  # the engine, for counting statements
        yield kit


def stored_files(docs_dir: Path) -> list[str]:
    root = docs_dir / "procurement"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def upload(
    kit: Kit, path: str, data: bytes, headers: dict[str, str], *, media_type: str = PDF_MT, **query: str
) -> httpx.Response:
    params = {"document_type": "tenderNotice", "title": "采购公告", "language": "zh"} | query
    return await kit.c.post(
        f"{path}/documents", content=data, params=params, headers=headers | {"Content-Type": media_type}
    )


async def test_attach_list_download_supersede_and_verify_on_a_project(dkit: Kit, docs_dir: Path) -> None:
    kit = dkit
    bureau = kit.auth("bureau", LINGWU)
    plan = await kit.plan(LINGWU, test_today().year)
    pid = (await kit.project(LINGWU, plan)).json()["id"]
    path = f"/projects/{pid}"

    r = await upload(kit, path, PDF, bureau)
    assert r.status_code == 201, r.text
    doc = r.json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert (doc["sha256"], doc["size"], doc["media_type"], doc["version"]) == (sha, len(PDF), PDF_MT, 1)
    assert (doc["document_type"], doc["title"], doc["language"], doc["supersedes"]) == (
        "tenderNotice",
        "采购公告",
        "zh",
        None,
    )
    # The same bytes attached again (to the plan too): a second record, one stored file.
    assert (await upload(kit, path, PDF, bureau, title="采购公告（副本）")).status_code == 201
    assert (
        await upload(kit, f"/plans/{plan}", PDF, bureau, document_type="procurementPlan")
    ).status_code == 201
    assert stored_files(docs_dir) == [sha]

    # Download: whole, a range, a suffix, conditional.
    url = f"{path}/documents/{doc['id']}/content"
    r = await kit.c.get(url, headers=bureau)
    assert (r.status_code, r.content, r.headers["etag"], r.headers["content-type"]) == (
        200,
        PDF,
        f'"{sha}"',
        PDF_MT,
    )
    r = await kit.c.get(url, headers=bureau | {"Range": "bytes=9-18"})
    assert (r.status_code, r.content, r.headers["content-range"]) == (
        206,
        PDF[9:19],
        f"bytes 9-18/{len(PDF)}",
    )
    r = await kit.c.get(url, headers=bureau | {"Range": "bytes=-7"})
    assert (r.status_code, r.content) == (206, PDF[-7:])
    r = await kit.c.get(url, headers=bureau | {"Range": f"bytes={len(PDF)}-"})
    assert (r.status_code, r.json()["code"], r.headers["content-range"]) == (
        416,
        "RANGE_NOT_SATISFIABLE",
        f"bytes */{len(PDF)}",
    )
    r = await kit.c.get(url, headers=bureau | {"If-None-Match": f'"{sha}"'})
    assert (r.status_code, r.content) == (304, b"")
    r = await kit.c.get(url, headers=bureau | {"If-None-Match": '"other"'})
    assert r.status_code == 200

    # Supersede: a new version, the old one kept in the history.
    r = await kit.c.post(
        f"{path}/documents/{doc['id']}/versions",
        content=PDF_V2,
        params={"title": "采购公告（更正）"},
        headers=bureau | {"Content-Type": PDF_MT},
    )
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert (v2["version"], v2["series_id"], v2["supersedes"], v2["title"], v2["document_type"]) == (
        2,
        doc["id"],
        doc["id"],
        "采购公告（更正）",
        "tenderNotice",
    )
    again = await kit.c.post(
        f"{path}/documents/{doc['id']}/versions", content=PDF_V2, headers=bureau | {"Content-Type": PDF_MT}
    )
    assert (again.status_code, again.json()["code"]) == (409, "DOCUMENT_SUPERSEDED")
    current = (await kit.c.get(f"{path}/documents", headers=bureau)).json()
    assert sorted((d["title"], d["version"]) for d in current) == [
        ("采购公告（副本）", 1),
        ("采购公告（更正）", 2),
    ]
    history = (await kit.c.get(f"{path}/documents", params={"history": "true"}, headers=bureau)).json()
    assert [d["superseded_by"] for d in history if d["id"] == doc["id"]] == [v2["id"]]
    assert len(history) == 3

    # The chain holds each version's hash; the project's history shows them.
    auditor = kit.auth("auditor", LINGWU)
    events = (await kit.c.get(f"{path}/events", headers=auditor)).json()
    attached = [e["data"] for e in events if e["action"] == "document.attached"]
    assert [(a["sha256"], a["size"], a["media_type"]) for a in attached] == [
        (sha, len(PDF), PDF_MT),
        (sha, len(PDF), PDF_MT),
        (hashlib.sha256(PDF_V2).hexdigest(), len(PDF_V2), PDF_MT),
    ]
    assert (await kit.c.get(f"{path}/events/verify", headers=auditor)).json()["ok"] is True

    # Someone replaces the stored file behind our back: verify says so, at the first event it touches.
    (docs_dir / "procurement" / key_of(sha)).write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    v = (await kit.c.get(f"{path}/events/verify", headers=auditor)).json()
    seq = next(e["seq"] for e in events if e["action"] == "document.attached")
    assert (v["ok"], v["broken_at_seq"]) == (False, seq)
    assert "document" in v["reason"]

    # Another county's reader finds nothing; a finance reader reads but may not attach.
    other = kit.auth("bureau", SH_DISTRICT)
    for r in (
        await kit.c.get(f"{path}/documents", headers=other),
        await kit.c.get(url, headers=other),
        await upload(kit, path, PDF, other),
    ):
        assert (r.status_code, r.json()["code"]) == (404, "PROJECT_NOT_FOUND")
    finance = kit.auth("finance", LINGWU)
    assert (await kit.c.get(f"{path}/documents", headers=finance)).status_code == 200
    r = await upload(kit, path, PDF_V2, finance)
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
    r = await kit.c.get(f"{path}/documents/{plan}", headers=bureau)  # a plan's id is no project document
    assert (r.status_code, r.json()["code"]) == (404, "DOCUMENT_NOT_FOUND")


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (300 * 1024 * 1024))
    return out.getvalue()


async def test_refusals_store_nothing(dkit: Kit, docs_dir: Path) -> None:
    kit = dkit
    bureau = kit.auth("bureau", LINGWU)
    plan = await kit.plan(LINGWU, test_today().year)
    path = f"/plans/{plan}"
    big = PDF + b"0" * 100_000
    cases: list[tuple[bytes, str, dict[str, str], int, str]] = [
        (big, PDF_MT, {}, 413, "PAYLOAD_TOO_LARGE"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, PDF_MT, {}, 422, "DOCUMENT_TYPE_MISMATCH"),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 200, PDF_MT, {}, 422, "DOCUMENT_EXECUTABLE"),
        (b"MZ\x90\x00" + b"\0" * 200, "application/x-msdownload", {}, 415, "DOCUMENT_MEDIA_TYPE_UNSUPPORTED"),
        (PDF, PDF_MT, {"document_type": "notACode"}, 422, "VALIDATION_FAILED"),
    ]
    for data, mt, query, status, code in cases:
        r = await upload(
            kit,
            path,
            data,
            bureau,
            media_type=mt,
            document_type=query.get("document_type", "procurementPlan"),
        )
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    bomb = _bomb()
    r = await upload(kit, path, bomb, bureau, media_type=DOCX_MT, document_type="procurementPlan")
    assert (r.status_code, r.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")  # over this app's 100 kB first

    # A chunked body (no Content-Length) over the limit: counted while it streams, 413, nothing kept.
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    r = await kit.c.post(
        f"{path}/documents",
        content=chunks(),
        params={"document_type": "procurementPlan", "title": "计划"},
        headers=bureau | {"Content-Type": PDF_MT},
    )
    assert (r.status_code, r.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert stored_files(docs_dir) == []
    assert (await kit.c.get(f"{path}/documents", headers=bureau)).json() == []
    assert [r["n"] for r in await kit.sql("SELECT count(*) AS n FROM procurement.document")] == [0]
    assert not [f for f in os.listdir("/tmp") if f.startswith("jiuzhu-doc-")]


def _docx(text: str) -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


async def test_a_sealed_bids_documents_are_its_bidders_until_the_opening(dkit: Kit) -> None:
    kit = dkit
    plan = await kit.plan(LINGWU, test_today().year, amount="10000000.00")
    pid = (await kit.project(LINGWU, plan, budget="3000000.00")).json()["id"]
    await kit.tr("projects", pid, "approved", "finance", LINGWU)
    await kit.tr("projects", pid, "announced", "bureau", LINGWU, {"method": "open_tender"})
    codes = [await kit.contractor(9101), await kit.contractor(9102)]
    bids = [
        (await kit.bid(pid, c, p)).json()["id"]
        for c, p in zip(codes, ["2800000.00", "2700000.00"], strict=True)
    ]
    own = kit.auth("contractor", LINGWU, org=codes[0])
    rival = kit.auth("contractor", LINGWU, org=codes[1])
    bureau = kit.auth("bureau", LINGWU)
    proposal = _docx("服务方案：密封文件")

    r = await upload(
        kit,
        f"/bids/{bids[0]}",
        proposal,
        own,
        media_type=DOCX_MT,
        document_type="submissionDocuments",
        title="响应文件",
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    url = f"/bids/{bids[0]}/documents/{doc['id']}/content"
    assert (await kit.c.get(url, headers=own)).content == proposal
    # Its bidder reads a range of it (decrypted from the frames that hold it), conditionally too.
    r = await kit.c.get(url, headers=own | {"Range": "bytes=10-49"})
    assert (r.status_code, r.content, r.headers["Content-Range"]) == (
        206,
        proposal[10:50],
        f"bytes 10-49/{len(proposal)}",
    )
    assert (await kit.c.get(url, headers=own | {"If-None-Match": r.headers["ETag"]})).status_code == 304
    r = await kit.c.get(url, headers=own | {"Range": f"bytes={len(proposal)}-"})
    assert (r.status_code, r.json()["code"]) == (416, "RANGE_NOT_SATISFIABLE")
    for who, status, code in (
        (bureau, 409, "BID_SEALED"),
        (rival, 404, "BID_NOT_FOUND"),
        (kit.auth("admin", "000000"), 409, "BID_SEALED"),
    ):
        for r in (
            await kit.c.get(f"/bids/{bids[0]}/documents", headers=who),
            await kit.c.get(url, headers=who),
            await kit.c.get(url, headers=who | {"Range": "bytes=10-49"}),
        ):
            assert (r.status_code, r.json()["code"]) == (status, code)
    r = await upload(
        kit, f"/bids/{bids[0]}", proposal, rival, media_type=DOCX_MT, document_type="submissionDocuments"
    )
    assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")
    # The project's history tells that a document was attached to a bid, never by whom.
    events = (await kit.c.get(f"/projects/{pid}/events", headers=kit.auth("auditor", LINGWU))).json()
    ev = next(e for e in events if e["action"] == "document.attached")
    assert (ev["actor"], ev["data"]["owner_type"], ev["data"]["owner_id"]) == (
        "sealed-bidder",
        "bid",
        bids[0],
    )
    rows = await kit.sql("SELECT uploaded_by FROM procurement.document")
    assert [r["uploaded_by"] for r in rows] == ["sealed-bidder"]

    # The opening: the purchaser's side reads them; nobody adds to an opened bid.
    await kit.tr("projects", pid, "bidding_closed", "bureau", LINGWU)
    r = await kit.c.get(url, headers=bureau)
    assert (r.status_code, r.content) == (200, proposal)
    r = await upload(kit, f"/bids/{bids[0]}", PDF, own, document_type="submissionDocuments")
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
    r = await kit.c.get(f"/bids/{bids[0]}/documents", headers=rival)
    assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")


async def test_the_award_notice_is_generated_from_the_award(dkit: Kit) -> None:
    kit = dkit
    pid, bids = await kit.to_scoring(LINGWU)
    bureau = kit.auth("bureau", LINGWU)
    r = await kit.c.post(f"/projects/{pid}/documents/generated", headers=bureau)
    assert (r.status_code, r.json()["code"]) == (409, "AWARD_NOT_MADE")
    await kit.score(LINGWU, pid, bids, ["60", "70", "65"])
    p = (await kit.tr("projects", pid, "awarded", "bureau", LINGWU)).json()
    r = await kit.c.post(f"/projects/{pid}/documents/generated", headers=bureau)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["document_type"], doc["media_type"], doc["version"]) == ("awardNotice", DOCX_MT, 1)
    got = await kit.c.get(doc["url"], headers=kit.auth("auditor", LINGWU))
    text = [x.text for x in docx.Document(io.BytesIO(got.content)).paragraphs]
    winner = (await kit.c.get(f"/contractors/{p['awarded_uscc']}", headers=bureau)).json()["name"]
    assert text[0] == "购买社会救助经办服务 中标结果公告"
    assert text[1:7] == [
        "一、采购人：灵武市民政局",
        "二、项目名称：购买社会救助经办服务",
        "三、采购方式：公开招标",
        "四、采购标的：AS01、AS02",
        f"五、中标（成交）供应商：{winner}（统一社会信用代码 {p['awarded_uscc']}）",
        f"六、中标（成交）金额：人民币 {p['awarded_amount']} 元",
    ]
    assert text[8].startswith(
        f"八、质疑期限：供应商认为结果使自己的权益受到损害的，可在 {p['challenge_deadline']} 前"
    )
    r = await kit.c.post(f"/projects/{pid}/documents/generated", headers=kit.auth("finance", LINGWU))
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")

    # A challenge upheld: the scoring reopened clears the award; the notice issued stays as it was
    # (nothing to announce is not a reason to refuse the reopening).
    await kit.tr("projects", pid, "scoring", "bureau", LINGWU, reason="质疑成立，重新评审")
    path, title = f"/projects/{pid}", "中标（成交）结果公告（系统生成）"
    assert [d["id"] for d in await _versions(kit, path, title)] == [doc["id"]]
    # Scored again, another winner: awarded, and the notice's new version names it, same commit.
    await kit.score(LINGWU, pid, bids, ["70", "40", "65"])
    p2 = (await kit.tr("projects", pid, "awarded", "bureau", LINGWU)).json()
    assert p2["awarded_uscc"] != p["awarded_uscc"]
    got = await _versions(kit, path, title)
    assert [(d["version"], d["supersedes"]) for d in got] == [(1, None), (2, doc["id"])]
    text = _paragraphs((await kit.c.get(got[1]["url"], headers=bureau)).content)
    assert any(t.startswith("五、中标（成交）供应商：") and p2["awarded_uscc"] in t for t in text)


MARKER = "密封响应文件：服务方案与报价说明 SEALED-PLAINTEXT-7391".encode()


def _all_bytes(docs_dir: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in docs_dir.rglob("*") if p.is_file()]


async def test_a_sealed_bids_files_are_encrypted_at_rest_until_the_opening(dkit: Kit, docs_dir: Path) -> None:
    kit = dkit
    plan = await kit.plan(LINGWU, test_today().year, amount="10000000.00")
    pid = (await kit.project(LINGWU, plan, budget="3000000.00")).json()["id"]
    await kit.tr("projects", pid, "approved", "finance", LINGWU)
    await kit.tr("projects", pid, "announced", "bureau", LINGWU, {"method": "open_tender"})
    uscc = await kit.contractor(9201)
    bid = (await kit.bid(pid, uscc, "2800000.00")).json()["id"]
    own = kit.auth("contractor", LINGWU, org=uscc)
    bureau = kit.auth("bureau", LINGWU)
    text = MARKER * 50
    r = await upload(
        kit,
        f"/bids/{bid}",
        text,
        own,
        media_type="text/plain",
        document_type="submissionDocuments",
        title="响应文件",
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["sha256"] == hashlib.sha256(text).hexdigest()
    # On disk: one blob, under sealed/, and nowhere the plaintext (nor a piece of it).
    files = _all_bytes(docs_dir)
    assert [p.relative_to(docs_dir / "procurement").parts[0] for p, _ in files] == ["sealed"]
    assert not [p for p, b in files if MARKER[:24] in b or b"SEALED-PLAINTEXT" in b]
    # Its bidder reads it back in clear; the purchaser's side may not before the opening.
    url = f"/bids/{bid}/documents/{doc['id']}/content"
    r = await kit.c.get(url, headers=own)
    assert (r.status_code, r.content) == (200, text)
    r = await kit.c.get(url, headers=bureau)
    assert (r.status_code, r.json()["code"]) == (409, "BID_SEALED")
    # A new version is sealed too.
    r = await kit.c.post(
        f"/bids/{bid}/documents/{doc['id']}/versions",
        content=text + MARKER,
        headers=own | {"Content-Type": "text/plain"},
    )
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert not [p for p, b in _all_bytes(docs_dir) if b"SEALED-PLAINTEXT" in b]
    auditor = kit.auth("auditor", LINGWU)
    assert (await kit.c.get(f"/projects/{pid}/events/verify", headers=auditor)).json()["ok"] is True

    # The opening decrypts them into the ordinary store: the purchaser reads them, verify checks them.
    await kit.tr("projects", pid, "bidding_closed", "bureau", LINGWU)
    for d, data in ((doc, text), (v2, text + MARKER)):
        r = await kit.c.get(f"/bids/{bid}/documents/{d['id']}/content", headers=bureau)
        assert (r.status_code, r.content) == (200, data)
    r = await kit.c.get(url, headers=bureau | {"Range": "bytes=0-9"})
    assert (r.status_code, r.content) == (206, text[:10])
    kinds = sorted({p.relative_to(docs_dir / "procurement").parts[0] for p, _ in _all_bytes(docs_dir)})
    assert kinds == ["sha256"]
    assert (await kit.c.get(f"/projects/{pid}/events/verify", headers=auditor)).json()["ok"] is True


async def test_an_upload_with_an_idempotency_key_is_stored_once(dkit: Kit) -> None:
    kit = dkit
    bureau = kit.auth("bureau", LINGWU)
    plan = await kit.plan(LINGWU, test_today().year)
    key = {"Idempotency-Key": "plan-scan-1"}
    first = await upload(kit, f"/plans/{plan}", PDF, bureau | key, document_type="procurementPlan")
    assert first.status_code == 201, first.text
    again = await upload(kit, f"/plans/{plan}", PDF, bureau | key, document_type="procurementPlan")
    assert (again.status_code, again.json()["id"], again.headers.get("idempotent-replayed")) == (
        201,
        first.json()["id"],
        "true",
    )
    other = await upload(kit, f"/plans/{plan}", PDF_V2, bureau | key, document_type="procurementPlan")
    assert (other.status_code, other.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    listed = (await kit.c.get(f"/plans/{plan}/documents", headers=bureau)).json()
    assert [d["id"] for d in listed] == [first.json()["id"]]


async def test_the_annual_plan_is_generated_and_regenerated_when_it_changes(dkit: Kit) -> None:
    kit = dkit
    bureau = kit.auth("bureau", LINGWU)
    plan = await kit.plan(LINGWU, test_today().year, amount="200000.00")
    r = await kit.c.post(f"/plans/{plan}/documents/generated", headers=bureau)
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert (v1["document_type"], v1["media_type"], v1["version"]) == ("procurementPlan", DOCX_MT, 1)
    body = docx.Document(io.BytesIO((await kit.c.get(v1["url"], headers=bureau)).content))
    text = [p.text for p in body.paragraphs]
    assert text[0] == f"灵武市民政局{test_today().year}年度政府购买社会救助服务计划"
    assert "一、购买主体：灵武市民政局" in text
    assert body.tables[0].rows[1].cells[1].text == "200000.00"
    # Nothing changed: the same version.
    r = await kit.c.post(f"/plans/{plan}/documents/generated", headers=bureau)
    assert (r.status_code, r.json()["id"]) == (201, v1["id"])
    assert body.tables[0].rows[1].cells[3].text == "0.00"  # nothing committed yet
    # A project commits part of the plan: a new version superseding the first.
    project = await kit.project(LINGWU, plan, budget="50000.00")
    assert project.status_code == 201
    # Regenerated in the project's own commit (the plan follows its projects), before anyone asks.
    current = (await kit.c.get(f"/plans/{plan}/documents", headers=bureau)).json()
    assert [d["version"] for d in current] == [2]
    r = await kit.c.post(f"/plans/{plan}/documents/generated", headers=bureau)
    v2 = r.json()
    assert v2["id"] == current[0]["id"]
    assert (v2["version"], v2["supersedes"], v2["series_id"]) == (2, v1["id"], v1["id"])
    body = docx.Document(io.BytesIO((await kit.c.get(v2["url"], headers=bureau)).content))
    assert body.tables[0].rows[1].cells[3].text == "50000.00"
    current = (await kit.c.get(f"/plans/{plan}/documents", headers=bureau)).json()
    assert [d["id"] for d in current] == [v2["id"]]
    # The project cancelled (a lean route's write pool: written again through the session, whose
    # commit regenerates): the commitment freed in a third version.
    await kit.tr("projects", project.json()["id"], "cancelled", "bureau", LINGWU, reason="预算调整，取消采购")
    current = (await kit.c.get(f"/plans/{plan}/documents", headers=bureau)).json()
    assert [(d["version"], d["supersedes"]) for d in current] == [(3, v2["id"])]
    body = docx.Document(io.BytesIO((await kit.c.get(current[0]["url"], headers=bureau)).content))
    assert body.tables[0].rows[1].cells[3].text == "0.00"
    r = await kit.c.post(f"/plans/{plan}/documents/generated", headers=kit.auth("finance", LINGWU))
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")


async def test_award_and_payment_documents_follow_their_policy(dkit: Kit) -> None:
    kit = dkit
    pid, bids = await kit.to_scoring(LINGWU)
    bureau = kit.auth("bureau", LINGWU)
    r = await upload(kit, f"/projects/{pid}/award", PDF, bureau, document_type="awardNotice")
    assert (r.status_code, r.json()["code"]) == (409, "AWARD_NOT_MADE")
    await kit.score(LINGWU, pid, bids, ["60", "70", "65"])
    p = (await kit.tr("projects", pid, "awarded", "bureau", LINGWU)).json()
    r = await upload(
        kit, f"/projects/{pid}/award", PDF, bureau, document_type="evaluationReports", title="评审报告"
    )
    assert r.status_code == 201, r.text
    winner = kit.auth("contractor", LINGWU, org=p["awarded_uscc"])
    listed = await kit.c.get(f"/projects/{pid}/award/documents", headers=winner)
    assert (listed.status_code, [d["title"] for d in listed.json()]) == (200, ["评审报告"])
    other = kit.auth("bureau", SH_DISTRICT)
    r = await kit.c.get(f"/projects/{pid}/award/documents", headers=other)
    assert (r.status_code, r.json()["code"]) == (404, "PROJECT_NOT_FOUND")
    cid = p["contract_id"]
    r = await upload(kit, f"/contracts/{cid}/amendments/1", PDF, bureau, document_type="contractAnnexe")
    assert (r.status_code, r.json()["code"]) == (404, "CONTRACT_NOT_FOUND")  # no amendment yet
    r = await upload(
        kit, f"/contracts/{cid}/payments/no-such-period", PDF, bureau, document_type="contractAnnexe"
    )
    assert (r.status_code, r.json()["code"]) == (404, "CONTRACT_NOT_FOUND")


async def test_the_sweep_removes_blobs_no_document_refers_to(
    database_url: str, auth: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    import asyncio

    from jiuzhu_kit.documents.sweep import sweep_once

    settings = Settings(
        DATABASE_URL=database_url,
        JWT_SECRET=TEST_SECRET,
        JIUZHU_ENVIRONMENT="test",
        documents_dir=str(tmp_path / "documents"),
        documents_sweep_seconds=0.2,
        # Not 0: an upload's blob is stored before its record commits, and a sweep in between
        # (a loaded machine: the upload took 0.4 s) removed the kept file too.
        documents_orphan_grace_seconds=1.5,
    )
    app = create(settings)
    async with service_client(app) as c:
        kit = Kit(c, auth, database_url)
        bureau = auth("bureau", LINGWU)
        plan = await kit.plan(LINGWU, test_today().year)
        kept = await upload(kit, f"/plans/{plan}", PDF, bureau, document_type="procurementPlan")
        assert kept.status_code == 201

        # An upload whose bytes were stored but whose record never committed: an orphan.
        async def chunks() -> AsyncIterator[bytes]:
            yield PDF.replace(b"7" * 100, os.urandom(50).hex().encode(), 1)  # bytes no test recorded

        orphan = await app.state.documents.store.ingest(chunks(), declared=PDF_MT, limit=10**6)
        path = tmp_path / "documents" / "procurement" / key_of(orphan.sha256)
        assert path.exists()
        # The Leader (one replica) sweeps it once past the grace; the referenced file stays.
        for _ in range(100):
            if not path.exists():
                break
            await asyncio.sleep(0.1)
        assert not path.exists()
        assert app.state.documents_sweeper.leading and app.state.documents_sweeper.runs >= 1
        assert (tmp_path / "documents" / "procurement" / key_of(kept.json()["sha256"])).exists()
        assert await sweep_once(app) == []


async def _versions(kit: Kit, path: str, title: str) -> list[dict[str, Any]]:
    r = await kit.c.get(f"{path}/documents", params={"history": "true"}, headers=kit.auth("auditor", LINGWU))
    assert r.status_code == 200, r.text
    return [d for d in r.json() if d["title"] == title]


def _paragraphs(content: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]


async def test_the_generated_contract_follows_each_committed_write(dkit: Kit) -> None:
    """Once generated, the contract's .docx is regenerated in the transaction of every write that
    changes what it shows (signing: the type; an amendment: the amount); a refused write, or one
    that changes nothing it shows, stores nothing; each version is in the contract's chain."""
    kit = dkit
    bureau = kit.auth("bureau", LINGWU)
    pid, _ = await awarded(kit, "480000.00", small=False, n=9301)
    day = test_today() + timedelta(days=100)
    schedule = [
        {"period": "H1", "amount": "240000.00", "due_on": day.isoformat()},
        {"period": "H2", "amount": "240000.00", "due_on": (day + timedelta(days=100)).isoformat()},
    ]
    r = await kit.c.post(f"/projects/{pid}/contract", json=contract_body(schedule), headers=bureau)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    path, title = f"/contracts/{cid}", "政府购买社会救助服务合同（系统生成）"
    assert await _versions(kit, path, title) == []
    r = await kit.c.post(f"{path}/documents/generated", headers=bureau)
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert (v1["document_type"], v1["version"]) == ("contractDraft", 1)
    assert "合同总价人民币 480000.00 元" in _paragraphs((await kit.c.get(v1["url"], headers=bureau)).content)

    # Signed: the same text, now the signed contract (a new version of the same document).
    await kit.tr("projects", pid, "contract_signed", "bureau", LINGWU)
    got = await _versions(kit, path, title)
    assert [(d["version"], d["document_type"]) for d in got] == [(1, "contractDraft"), (2, "contractSigned")]
    assert got[1]["sha256"] == v1["sha256"] and got[1]["supersedes"] == v1["id"]

    # A refused amendment (above +10%) changes nothing, the document included.
    raised = [{**line, "amount": "270000.00"} for line in schedule]
    r = await kit.c.post(
        f"{path}/amendments",
        json={"reason": "增加两名核查员", "price": "540000.00", "payment_schedule": raised},
        headers=bureau,
    )
    assert (r.status_code, r.json()["code"]) == (409, "AMENDMENT_INCREASE_TOO_LARGE")
    assert len(await _versions(kit, path, title)) == 2

    # An amendment committed: the new amount is in a new version, stored in the same commit.
    raised = [{**line, "amount": "250000.00"} for line in schedule]
    r = await kit.c.post(
        f"{path}/amendments",
        json={"reason": "增加一名核查员", "price": "500000.00", "payment_schedule": raised},
        headers=bureau,
    )
    assert r.status_code == 200, r.text
    got = await _versions(kit, path, title)
    assert [(d["version"], d["superseded_by"] is None) for d in got] == [(1, False), (2, False), (3, True)]
    v3 = got[2]
    text = _paragraphs((await kit.c.get(v3["url"], headers=kit.auth("auditor", LINGWU))).content)
    assert "合同总价人民币 500000.00 元" in text and "合同总价人民币 480000.00 元" not in text
    assert "H1：人民币 250000.00 元" in " ".join(text)

    # A write that does not change what the contract shows (a deadline met) stores nothing.
    c = (await kit.c.get(path, headers=bureau)).json()
    r = await kit.c.post(
        f"{path}/deadlines/{c['deadlines'][0]['key']}/fulfil", json={"on": c["signed_on"]}, headers=bureau
    )
    assert r.status_code == 200, r.text
    assert len(await _versions(kit, path, title)) == 3

    # The chain holds each version's hash right after the write that caused it; verify passes.
    events = (await kit.c.get(f"{path}/events", headers=kit.auth("auditor", LINGWU))).json()
    actions = [e["action"] for e in events]
    assert actions[actions.index("contract.amended") + 1] == "document.attached"
    assert events[actions.index("contract.amended") + 1]["data"]["sha256"] == v3["sha256"]
    verify = (await kit.c.get(f"{path}/events/verify", headers=kit.auth("auditor", LINGWU))).json()
    assert verify["ok"] is True


async def test_a_write_to_an_aggregate_without_a_generated_document_costs_one_query(dkit: Kit) -> None:
    """The regeneration's price where nothing was generated: one indexed SELECT on the documents
    for a watched aggregate (a contract, a project, a plan), none for any other."""
    from sqlalchemy import event

    kit = dkit
    bureau = kit.auth("bureau", LINGWU)
    pid, _ = await awarded(kit, "300000.00", small=False, n=9302)
    day = test_today() + timedelta(days=100)
    schedule = [{"period": "H1", "amount": "300000.00", "due_on": day.isoformat()}]
    r = await kit.c.post(f"/projects/{pid}/contract", json=contract_body(schedule), headers=bureau)
    cid = r.json()["id"]
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "procurement.document" in statement:
            seen.append(statement)

    engine = kit.__dict__["app"].state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await kit.tr("projects", pid, "contract_signed", "bureau", LINGWU)  # writes project and contract
        assert len(seen) == 1 and seen[0].lstrip().startswith("SELECT DISTINCT"), seen
        seen.clear()
        await kit.contractor(9303)
        assert seen == []  # a contractor: no generator watches it
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (await _versions(kit, f"/contracts/{cid}", "政府购买社会救助服务合同（系统生成）")) == []


async def test_a_range_of_a_sealed_file_decrypts_only_its_frames(tmp_path: Path) -> None:
    """Ranges across the sealed frames (1 MiB each) of a real store: the bytes of the plain file,
    read from the frames that hold them only (a frame out of its place would not decrypt)."""
    import uuid

    from obstore.store import LocalStore

    from jiuzhu_kit.documents.sealed import FRAME, FileSealer, frame_span
    from jiuzhu_kit.documents.store import DocumentStore

    plain = b"".join(f"{i:07d} sealed line of a bid's response file\n".encode() for i in range(60_000))
    assert 2 * FRAME < len(plain) < 3 * FRAME
    (tmp_path / "s").mkdir()
    store = DocumentStore(LocalStore(prefix=tmp_path / "s"))
    sealer, doc_id = FileSealer(os.urandom(32)), uuid.uuid4()

    async def chunks() -> AsyncIterator[bytes]:
        for at in range(0, len(plain), 65536):
            yield plain[at : at + 65536]

    stored = await store.ingest(chunks(), declared="text/plain", limit=10 * FRAME, sealed=(doc_id, sealer))
    assert await store.size_of(stored.sha256) is None  # nothing in clear
    for start, end in (
        (0, 1),
        (5, 100),
        (FRAME - 3, FRAME + 3),
        (FRAME, 2 * FRAME),
        (FRAME + 7, len(plain)),
        (len(plain) - 1, len(plain)),
    ):
        got = b"".join([c async for c in store.read_sealed_range(stored.sha256, doc_id, sealer, start, end)])
        assert got == plain[start:end], (start, end)
    assert frame_span(FRAME + 7, FRAME + 9)[0] == 1  # the second frame alone
