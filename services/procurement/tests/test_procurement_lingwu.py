"""Seed 002 (灵政办发〔2018〕201号): Lingwu buys 13 household verifiers through a dispatch company."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import date

import docx
import httpx

from jiuzhu_devtools.testing import test_today

from .conftest import LINGWU, Kit

# 13 verifiers × 2 × 1,560 yuan/month (Lingwu, class-2 area, 2018) × 12 months × 3 years (四(五)–(七)).
LINGWU_BUDGET = "1460160.00"


async def test_2018_dispatch_purchase_is_lawful_and_2021_is_refused(kit: Kit) -> None:
    plan18 = await kit.plan(LINGWU, 2018)
    r = await kit.project(
        LINGWU,
        plan18,
        budget=LINGWU_BUDGET,
        form="labour_dispatch",
        items=["AS09"],
        declared_on=date(2018, 9, 3),
    )
    assert r.json()["status"] == "declared"
    plan21 = await kit.plan(LINGWU, 2021)
    r = await kit.project(
        LINGWU,
        plan21,
        budget=LINGWU_BUDGET,
        form="labour_dispatch",
        items=["AS09"],
        declared_on=date(2021, 9, 1),
        expect=409,
    )
    body = r.json()
    assert body["code"] == "PURCHASE_NOT_ALLOWED"
    assert (
        body["refusals"][0]["code"] == "NEGATIVE_LIST"
        and "财政部令第102号" in body["refusals"][0]["citation"]
    )
    assert "劳务派遣" in body["detail"]


async def test_catalogue_check_endpoint_is_dated(client: httpx.AsyncClient) -> None:
    q = {"purchase_form": "labour_dispatch", "items": ["AS09"], "division_code": LINGWU}
    assert (await client.post("/catalogue/check", json={**q, "on": "2018-09-03"})).json()["lawful"] is True
    r = (await client.post("/catalogue/check", json={**q, "on": "2020-03-01"})).json()
    assert r["lawful"] is False and r["refusals"][0]["subject"] == "labour_dispatch"
    neg = (await client.get("/negative-list", params={"on": "2019-12-31"})).json()
    assert [n["code"] for n in neg] == ["government_administrative_acts"]


async def test_lingwu_walk_single_source_to_a_tripartite_contract(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(LINGWU, 2018)
    pid = (
        await kit.project(
            LINGWU,
            plan,
            budget=LINGWU_BUDGET,
            form="labour_dispatch",
            items=["AS09"],
            declared_on=date(2018, 9, 3),
        )
    ).json()["id"]
    # Approval is finance's; a bureau cannot approve its own project.
    await kit.tr("projects", pid, "approved", "bureau", LINGWU, expect=403)
    await kit.tr("projects", pid, "approved", "finance", LINGWU)
    # Single source needs a legal ground and a publicity period (政府采购法 31; 实施条例 38).
    r = await kit.tr("projects", pid, "announced", "bureau", LINGWU, {"method": "single_source"}, expect=409)
    assert {x["code"] for x in r.json()["refusals"]} == {"METHOD_GROUND_REQUIRED", "PUBLICITY_REQUIRED"}
    data = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}
    p = (await kit.tr("projects", pid, "announced", "bureau", LINGWU, data)).json()
    assert (
        p["method_details"]["ground_citation"] == "政府采购法 第三十一条第（一）项"
        and p["method_details"]["publicity_ends_on"]
    )
    company = await kit.contractor(1, name="灵武市某国有劳务派遣公司")
    bid = (await kit.bid(pid, company, LINGWU_BUDGET)).json()["id"]
    await kit.tr("projects", pid, "bidding_closed", "bureau", LINGWU)
    await kit.tr("projects", pid, "qualification_review", "bureau", LINGWU)
    await client.post(
        f"/projects/{pid}/bids/{bid}/qualification",
        json={"qualified": True},
        headers=kit.auth("bureau", LINGWU),
    )
    await kit.tr("projects", pid, "scoring", "bureau", LINGWU)
    members = [{"id": "m1", "expert": True}]
    r = await client.post(
        f"/projects/{pid}/scoring",
        json={"members": members, "scores": [{"bid_id": bid, "member_id": "m1", "score": "65"}]},
        headers=kit.auth("bureau", LINGWU),
    )
    assert r.status_code == 200, r.text
    p = (await kit.tr("projects", pid, "awarded", "bureau", LINGWU)).json()
    assert p["awarded_uscc"] == company and p["awarded_amount"] == LINGWU_BUDGET
    # The contract: tripartite (bureau, township, company), 3 years with a reason, 15 working-day deadline.
    contract = {
        "subject": "社会救助入户核查员服务",
        "service_standards": "专职专责行使入户核查职能",
        "quantity": "13 名入户核查员",
        "term_start": "2019-01-01",
        "term_end": "2021-12-31",
        "term_reason": "入户核查服务内容固定、连续性强、经费稳定（灵政办发〔2018〕201号 四(七)）",
        "payment_method": "按半年度评价结果拨付",
        "payment_schedule": [
            {"period": f"{y}-H{h}", "amount": "243360.00", "due_on": f"{y}-{6 * h:02d}-28"}
            for y in (2019, 2020, 2021)
            for h in (1, 2)
        ],
        "breach_liability": "按合同约定追究违约责任",
        "dispute_resolution": "协商不成向灵武市人民法院起诉",
        "other_parties": [{"role": "township", "name": "崇兴镇人民政府", "division_code": "640181100"}],
        "takeover_plan": "派遣公司不能履约时由市民政局临时接管入户核查工作，并重新组织采购",
        "deadlines": [
            {
                "key": "staff_dispatched",
                "name": "完成人员招聘、培训和派遣",
                "working_days": 15,
                "citation": "灵政办发〔2018〕201号 五(五)",
            }
        ],
    }
    r = await client.post(
        f"/projects/{pid}/contract",
        json={**contract, "term_end": "2022-01-01"},
        headers=kit.auth("bureau", LINGWU),
    )
    assert r.status_code == 409 and r.json()["code"] == "CONTRACT_TERM_TOO_LONG"
    r = await client.post(
        f"/projects/{pid}/contract",
        json={**contract, "subcontracting": True},
        headers=kit.auth("bureau", LINGWU),
    )
    assert r.json()["code"] == "SUBCONTRACTING_FORBIDDEN"
    r = await client.post(f"/projects/{pid}/contract", json=contract, headers=kit.auth("bureau", LINGWU))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert [x["role"] for x in r.json()["parties"]] == ["purchaser", "contractor", "township"]
    assert r.json()["parties"][0]["name"] == "灵武市民政局"  # the purchaser registry, not a placeholder
    p = (await kit.tr("projects", pid, "contract_signed", "bureau", LINGWU)).json()
    c = (await client.get(f"/contracts/{cid}", headers=kit.auth("bureau", LINGWU))).json()
    assert c["status"] == "signed" and len(c["payments"]) == 6
    due = date.fromisoformat(c["deadlines"][0]["due_on"])
    assert (
        due - date.fromisoformat(c["signed_on"])
    ).days >= 15 + 4  # 15 working days span at least 3 weekends
    # The evaluation service reads the contract (purchaser division and contractor code), as the contractor too.
    mine = await client.get(f"/contracts/{cid}", headers=kit.auth("contractor", "110000", org=company))
    assert mine.status_code == 200 and mine.json()["contractor_uscc"] == company
    assert (await client.get(f"/contracts/{cid}", headers=kit.auth("bureau", "640104"))).status_code == 404
    await _generated_contract(client, kit, cid, company)
    # Overdue list: nothing today, the dispatch deadline after its due date, cleared when fulfilled.
    ov = await client.get("/contracts/overdue-deadlines", headers=kit.auth("bureau", LINGWU))
    assert ov.json() == {"items": [], "next_cursor": None}
    late = (
        await client.get(
            "/contracts/overdue-deadlines",
            params={"on": "2099-01-01"},
            headers=kit.auth("finance", "640000"),
        )
    ).json()
    assert [(x["key"], x["contract_id"]) for x in late["items"]] == [("staff_dispatched", cid)]
    r = await client.post(
        f"/contracts/{cid}/deadlines/staff_dispatched/fulfil",
        json={"on": c["signed_on"]},  # a fulfilment date cannot be in the future
        headers=kit.auth("bureau", LINGWU),
    )
    assert r.status_code == 200, r.text
    assert (
        await client.get(
            "/contracts/overdue-deadlines", params={"on": "2099-01-01"}, headers=kit.auth("bureau", LINGWU)
        )
    ).json()["items"] == []
    # Payment is the evaluation's call: with the evaluation service unreachable nothing is released (503).
    r = await client.post(f"/contracts/{cid}/payments/2019-H1/release", headers=kit.auth("bureau", LINGWU))
    assert r.status_code == 503 and r.json()["code"] == "EVALUATION_UNAVAILABLE"
    c = (await client.get(f"/contracts/{cid}", headers=kit.auth("bureau", LINGWU))).json()
    assert {x["status"] for x in c["payments"]} == {"scheduled"}
    # Amendments need reasons and stay within +10% (政府采购法 49).
    r = await client.post(
        f"/contracts/{cid}/amendments",
        json={"reason": "增加一名核查员", "price": "1700000.00"},
        headers=kit.auth("bureau", LINGWU),
    )
    assert r.status_code == 409 and r.json()["code"] == "AMENDMENT_INCREASE_TOO_LARGE"
    assert "10%（政府采购法 第四十九条）" in r.json()["detail"]  # the dated rule and its clause
    r = await client.post(
        f"/contracts/{cid}/amendments",
        json={"reason": "调整服务标准", "service_standards": "每月入户核查不少于 60 户"},
        headers=kit.auth("bureau", LINGWU),
    )
    assert r.status_code == 200 and r.json()["amendments"][0]["reason"] == "调整服务标准"
    # Every write is in the contract's and the project's hash-chained history.
    ev = (await client.get(f"/contracts/{cid}/events", headers=kit.auth("auditor", LINGWU))).json()
    assert [e["action"] for e in ev] == [
        "contract.drafted",
        "contract.signed",
        "document.attached",  # the generated contract (.docx): its hash, size and type
        "contract.deadline_fulfilled",  # not shown on the contract: no new version
        "contract.amended",
        "document.attached",  # the amended standards: the generated contract regenerated, same commit
    ]
    attached = ev[2]["data"]
    assert (attached["document_type"], attached["media_type"]) == (
        "contractSigned",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert (ev[5]["data"]["version"], ev[5]["data"]["supersedes"]) == (2, attached["id"])
    assert ev[5]["actor"] == ev[4]["actor"]  # the amendment's author's
    current = (await client.get(f"/contracts/{cid}/documents", headers=kit.auth("bureau", LINGWU))).json()
    (doc,) = [d for d in current if d["title"] == "政府购买社会救助服务合同（系统生成）"]
    got = await client.get(doc["url"], headers=kit.auth("bureau", LINGWU))
    assert "每月入户核查不少于 60 户" in [p.text for p in docx.Document(io.BytesIO(got.content)).paragraphs]
    v = (await client.get(f"/contracts/{cid}/events/verify", headers=kit.auth("auditor", LINGWU))).json()
    assert v["ok"] is True and v["events"] == 6
    v = (await client.get(f"/projects/{pid}/events/verify", headers=kit.auth("auditor", LINGWU))).json()
    assert v["ok"] and v["events"] >= 9


async def test_takeover_records_who_and_opens_reprocurement(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(LINGWU, test_today().year)
    pid = (await kit.project(LINGWU, plan, budget="1000000.00")).json()["id"]
    await kit.jump("project", pid, status="performance_supervision")
    await kit.tr(
        "projects", pid, "taken_over", "bureau", LINGWU, {"taken_over_by": "灵武市民政局"}, expect=400
    )
    p = (
        await kit.tr(
            "projects",
            pid,
            "taken_over",
            "bureau",
            LINGWU,
            {"taken_over_by": "灵武市民政局"},
            reason="承接主体停止服务",
        )
    ).json()
    new_id = p["outcome"]["taken_over"]["reprocurement_project_id"]
    assert p["outcome"]["taken_over"]["by"] == "灵武市民政局"
    new = (await client.get(f"/projects/{new_id}", headers=auth("bureau", LINGWU))).json()
    assert new["status"] == "declared" and new["replaces_project_id"] == pid
    await kit.tr("projects", pid, "closed", "bureau", LINGWU)
    await kit.tr("projects", pid, "announced", "bureau", LINGWU, {"method": "open_tender"}, expect=409)


async def _generated_contract(client: httpx.AsyncClient, kit: Kit, cid: str, company: str) -> None:
    """The tripartite contract as .docx (contract/document.py), opened as Word would: the three
    parties by name (the purchaser from the registry) and every clause seed 003 三(五)2 requires."""
    bureau = kit.auth("bureau", LINGWU)
    r = await client.post(f"/contracts/{cid}/documents/generated", headers=bureau)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["document_type"], doc["version"]) == ("contractSigned", 1)
    again = (await client.post(f"/contracts/{cid}/documents/generated", headers=bureau)).json()
    assert (again["id"], again["version"]) == (doc["id"], 1)  # same data, same bytes: nothing new
    got = await client.get(doc["url"], headers=kit.auth("contractor", "110000", org=company))
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == doc["sha256"]
    text = [p.text for p in docx.Document(io.BytesIO(got.content)).paragraphs]
    assert text[0] == "政府购买社会救助服务三方协议"
    assert text[1:4] == [
        "甲方（购买主体）：灵武市民政局（640181）",
        f"乙方（承接主体）：灵武市某国有劳务派遣公司（{company}）",
        "丙方（乡镇人民政府、街道办事处）：崇兴镇人民政府（640181100）",
    ]
    for clause in (
        "服务标的",
        "服务标准",
        "服务数量",
        "服务期限",
        "服务报酬",
        "付款方式",
        "违约责任",
        "解决争议的方式",
    ):
        assert any(t.startswith("第") and t.endswith(clause) for t in text), clause
    assert "社会救助入户核查员服务" in text and "13 名入户核查员" in text
    assert "协商不成向灵武市人民法院起诉" in text
    assert sum(t.endswith("日期：____年__月__日") for t in text) == 3
    r = await client.post(f"/contracts/{cid}/documents/generated", headers=kit.auth("finance", LINGWU))
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
