"""Seed 003 (Shanghai): a catalogue item bought by open tender, scored, challenged, contracted, published."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from jiuzhu_devtools.testing import test_today

from .conftest import SH_DISTRICT, Kit

OCDS = Path(__file__).resolve().parent / "data" / "ocds-1.1.5"  # vendored: see its README.md


def codelist(name: str) -> set[str]:
    with (OCDS / "codelists" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return {row["Code"] for row in csv.DictReader(f)}


def validator(name: str) -> Draft4Validator:
    docs = {p.name: json.loads(p.read_text()) for p in OCDS.glob("*-schema.json")}
    registry: Registry = Registry().with_resources(
        (doc["id"], Resource.from_contents(doc, default_specification=DRAFT4)) for doc in docs.values()
    )
    return Draft4Validator(docs[name], registry=registry)


async def test_catalogue_levels_and_negative_items(kit: Kit) -> None:
    plan = await kit.plan(SH_DISTRICT, test_today().year)
    await kit.project(SH_DISTRICT, plan, items=["DS12", "AS08"])  # 个案评估, 政策研究: Shanghai's catalogue
    r = await kit.project(SH_DISTRICT, plan, items=["XX99"], expect=409)
    assert r.json()["refusals"][0]["code"] == "NOT_IN_CATALOGUE"
    r = await kit.project(SH_DISTRICT, plan, items=["government_administrative_acts"], expect=409)
    assert r.json()["refusals"][0]["code"] == "NEGATIVE_LIST"
    township = await kit.plan("310104011", test_today().year)
    r = await kit.project("310104011", township, items=["AS08"], expect=409)
    assert r.json()["refusals"][0]["code"] == "LEVEL_NOT_ALLOWED"


async def test_shanghai_walk_with_scoring_challenge_contract_and_ocds(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    div = SH_DISTRICT
    pid, bids = await kit.to_scoring(
        div, prices=["2800000.00", "2900000.00", "1500000.00"], small=[False, True, False]
    )
    # Panel size and expert share are checked (财政部令第87号 47).
    members = [{"id": f"m{i}", "expert": i > 1} for i in range(5)]  # 3 experts of 5 < 2/3
    scores = [{"bid_id": b, "member_id": m["id"], "score": "60"} for b in bids for m in members]
    r = await client.post(
        f"/projects/{pid}/scoring", json={"members": members, "scores": scores}, headers=auth("bureau", div)
    )
    assert r.status_code == 409 and r.json()["code"] == "PANEL_INVALID"
    r = await kit.score(div, pid, bids, ["62", "64", "60"])
    ranking = r.json()
    b_low = next(x for x in ranking["ranking"] if x["bid_id"] == bids[2])
    assert b_low["abnormally_low"] and ranking["pending_explanations"] == [bids[2]]
    sme = next(x for x in ranking["ranking"] if x["bid_id"] == bids[1])
    assert sme["evaluated_price"] == "2610000.00"  # 10% small-enterprise deduction before the base price
    # No award while an abnormally low bid awaits its explanation.
    r = await kit.tr("projects", pid, "awarded", "bureau", div, expect=409)
    assert r.json()["code"] == "NOT_AWARDABLE"
    r = await client.post(
        f"/projects/{pid}/bids/{bids[2]}/explanation",
        json={"explanation": "以志愿者补充人手", "accepted": False},
        headers=auth("bureau", div),
    )
    ranking = r.json()
    assert ranking["base_price"] == "2610000.00" and ranking["winner_bid_id"] == bids[1]
    by = {x["bid_id"]: x for x in ranking["ranking"]}
    assert by[bids[1]]["price_score"] == "30.00" and by[bids[1]]["total"] == "94.00"
    assert by[bids[0]]["price_score"] == "27.96" and by[bids[0]]["total"] == "89.96"  # 2.61/2.8 × 30
    p = (await kit.tr("projects", pid, "awarded", "bureau", div)).json()
    assert p["awarded_amount"] == "2900000.00" and date.fromisoformat(
        p["challenge_deadline"]
    ) >= test_today() + timedelta(days=9)
    # Challenges: only bidders, within 7 working days; an open one holds the award.
    bidders = [
        x["uscc"] for x in (await client.get(f"/projects/{pid}/bids", headers=auth("bureau", div))).json()
    ]
    loser = bidders[0]
    outsider = await kit.contractor(77)
    r = await client.post(
        f"/projects/{pid}/challenges",
        json={"uscc": outsider, "grounds": "评分不公正"},
        headers=auth("contractor", div, org=outsider),
    )
    assert r.status_code == 409 and r.json()["code"] == "NOT_A_BIDDER"
    r = await client.post(
        f"/projects/{pid}/challenges",
        json={"uscc": loser, "grounds": "技术评分畸高"},
        headers=auth("contractor", div, org=loser),
    )
    assert r.status_code == 201, r.text
    ch = r.json()["id"]
    contract = {
        "subject": "个案评估服务",
        "service_standards": "按《上海市关于政府购买社会救助服务项目目录》执行",
        "quantity": "全年 600 个个案",
        "term_start": test_today().isoformat(),
        "term_end": (test_today() + timedelta(days=364)).isoformat(),
        "payment_method": "按季度考核后支付",
        "payment_schedule": [
            {"period": "Q1", "amount": "1450000.00", "due_on": test_today().isoformat()},
            {"period": "Q2", "amount": "1450000.00", "due_on": test_today().isoformat()},
        ],
        "breach_liability": "违约金为合同金额 5%",
        "dispute_resolution": "提交上海仲裁委员会仲裁",
        "other_parties": [
            {
                "role": "other",
                "name": "项目联系人单位",
                "contact_person": "王小明",
                "contact_phone": "13900001111",
            }
        ],
        "takeover_plan": "承接主体退出时由区民政局指定街道社区事务受理服务中心临时接管",
    }
    r = await client.post(f"/projects/{pid}/contract", json=contract, headers=auth("bureau", div))
    assert r.status_code == 201, r.text
    r = await kit.tr("projects", pid, "contract_signed", "bureau", div, expect=409)
    assert r.json()["code"] == "AWARD_HELD"
    await kit.tr("challenges", ch, "dismissed", "bureau", div, reason="评分符合评审标准")
    # A challenge after the window is refused (jump the deadline into the past).
    await kit.jump("project", pid, challenge_deadline=test_today() - timedelta(days=1))
    r = await client.post(
        f"/projects/{pid}/challenges",
        json={"uscc": loser, "grounds": "再次质疑评分"},
        headers=auth("contractor", div, org=loser),
    )
    assert r.status_code == 409 and r.json()["code"] == "CHALLENGE_WINDOW_CLOSED"
    await kit.tr("projects", pid, "contract_signed", "bureau", div)
    await kit.tr("projects", pid, "performance_supervision", "bureau", div)
    await kit.tr("projects", pid, "final_evaluation", "bureau", div)
    await kit.tr("projects", pid, "closed", "bureau", div)
    # Public views, no token; personal data masked.
    anns = (await client.get("/public/announcements")).json()
    assert [a["project_id"] for a in anns["items"]] == [pid] and anns["items"][0]["method_zh"] == "公开招标"
    res = (await client.get("/public/results")).json()["items"][0]
    assert (
        res["supplier_uscc"] == p["awarded_uscc"]
        and res["amount"] == "2900000.00"
        and len(res["ranking"]) == 3
    )
    pc = (await client.get("/public/contracts")).json()["items"][0]
    other = pc["parties"][-1]
    assert (
        other["contact_person"] == "王**"
        and other["contact_phone"] == "139****1111"
        and pc["status"] == "completed"
    )
    # OCDS: a release per workflow event and a record, both valid against the official 1.1.5 schema.
    pkg = (await client.get(f"/ocds/releases/{pid}")).json()
    errors = list(validator("release-package-schema.json").iter_errors(pkg))
    assert errors == [], [e.message for e in errors[:3]]
    assert list(validator("release-package-schema.json").iter_errors({**pkg, "releases": [{"ocid": 1}]}))
    tags = [r["tag"][0] for r in pkg["releases"]]
    assert (
        tags[:3] == ["planning", "planningUpdate", "tender"]
        and "award" in tags
        and tags[-1] == "contractTermination"
    )
    last = pkg["releases"][-1]
    assert (
        last["tender"]["procurementMethod"] == "open"
        and last["tender"]["procurementMethodDetails"] == "公开招标"
    )
    assert last["awards"][0]["value"] == {"amount": 2900000, "currency": "CNY"}
    # Open codelists (not enforced by the schema): only codes the standard defines.
    roles = {role for r in pkg["releases"] for party in r.get("parties", []) for role in party["roles"]}
    assert roles and roles <= codelist("partyRole"), roles - codelist("partyRole")
    assert last["tender"]["awardCriteria"] in codelist("awardCriteria")
    rec = (await client.get(f"/ocds/records/{pid}")).json()
    errors = list(validator("record-package-schema.json").iter_errors(rec))
    assert errors == [], [e.message for e in errors[:3]]
    assert rec["records"][0]["compiledRelease"]["tag"] == ["compiled"]
    assert (await client.get(f"/projects/{pid}/events/verify", headers=auth("auditor", div))).json()["ok"]


@pytest.mark.parametrize(
    ("method", "expected"),
    [("invited_tender", "selective"), ("single_source", "direct"), ("competitive_negotiation", "limited")],
)
async def test_ocds_method_mapping(kit: Kit, client: httpx.AsyncClient, method: str, expected: str) -> None:
    grounds = {
        "invited_tender": "special_nature_limited_suppliers",
        "single_source": "only_one_supplier",
        "competitive_negotiation": "technically_complex",
    }
    plan = await kit.plan(SH_DISTRICT, test_today().year)
    pid = (await kit.project(SH_DISTRICT, plan, budget="500000.00")).json()["id"]
    await kit.tr("projects", pid, "approved", "finance", SH_DISTRICT)
    data: dict[str, Any] = {"method": method, "ground": grounds[method], "publicity_working_days": 5}
    await kit.tr("projects", pid, "announced", "bureau", SH_DISTRICT, data)
    pkg = (await client.get(f"/ocds/releases/{pid}")).json()
    assert pkg["releases"][-1]["tender"]["procurementMethod"] == expected
    assert list(validator("release-package-schema.json").iter_errors(pkg)) == []


async def test_unpublished_projects_are_not_public(kit: Kit, client: httpx.AsyncClient) -> None:
    plan = await kit.plan(SH_DISTRICT, test_today().year)
    pid = (await kit.project(SH_DISTRICT, plan, budget="500000.00")).json()["id"]
    assert (await client.get(f"/ocds/releases/{pid}")).status_code == 404
    assert (await client.get("/public/announcements")).json()["items"] == []


async def test_workflow_is_served_as_mermaid(client: httpx.AsyncClient) -> None:
    wf = (await client.get("/workflows/project")).json()
    assert wf["initial"] == "declared" and wf["mermaid"].startswith("stateDiagram-v2")
    assert {"from": "awarded", "to": "contract_signed"}.items() <= next(
        t for t in wf["transitions"] if t["name"] == "sign_contract"
    ).items()
    text = (await client.get("/workflows/debarment/mermaid")).text
    assert "reported --> responded: respond [contractor]" in text
    assert sorted((await client.get("/workflows")).json()) == [
        "challenge",
        "complaint",
        "debarment",
        "payment",
        "plan",
        "project",
        "roster_worker",
    ]
