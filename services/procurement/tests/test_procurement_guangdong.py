"""Seed 000: a Guangdong county buys caseworker services (经办服务) — thresholds, splitting, too few suppliers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from jiuzhu_devtools.testing import test_today

from .conftest import GD_COUNTY, Kit

CONSULT = {"method": "competitive_consultation", "ground": "purchased_services"}
CONFIRMED = {
    "threshold_confirmation": "广东省政府集中采购目录及标准（2020年版）：服务类公开招标数额 400 万元"
}


async def _approved(kit: Kit, plan: str, budget: str, items: list[str] | None = None) -> str:
    pid = (await kit.project(GD_COUNTY, plan, budget=budget, items=items or ["AS10", "AS02"])).json()["id"]
    await kit.tr("projects", pid, "approved", "finance", GD_COUNTY)
    return str(pid)


async def test_open_tender_threshold_is_inclusive_and_regional(client: httpx.AsyncClient, kit: Kit) -> None:
    th = (await client.get("/thresholds", params={"division_code": GD_COUNTY, "on": "2024-06-01"})).json()
    assert {t["kind"]: t["amount"] for t in th} == {
        "open_tender": "4000000.00",
        "procurement_limit": "1000000.00",
    }
    plan = await kit.plan(GD_COUNTY, test_today().year, amount="20000000.00")
    at = await _approved(kit, plan, "4000000.00")  # 以上 includes the amount itself (民法典 1259)
    r = await kit.tr("projects", at, "announced", "bureau", GD_COUNTY, CONSULT, expect=409)
    assert r.json()["code"] == "PROCUREMENT_METHOD_NOT_ALLOWED"
    assert [x["code"] for x in r.json()["refusals"]] == ["OPEN_TENDER_REQUIRED"]
    # With the finance department's approval recorded, consultation is allowed.
    p = (
        await kit.tr(
            "projects", at, "announced", "bureau", GD_COUNTY, {**CONSULT, "approval": "汕财采〔2024〕8号"}
        )
    ).json()
    assert (
        p["method"] == "competitive_consultation" and p["method_details"]["approval"] == "汕财采〔2024〕8号"
    )
    # Just below Guangdong's 4 million — above the national 2 million: the unverified local value
    # alone would allow consultation, so the purchaser must confirm it first (never a silent guess).
    below = await _approved(kit, plan, "3999999.99", items=["DS01"])
    r = await kit.tr("projects", below, "announced", "bureau", GD_COUNTY, CONSULT, expect=409)
    assert r.json()["code"] == "THRESHOLD_CONFIRMATION_REQUIRED"
    assert "4000000.00" in r.json()["detail"] and "2000000.00" in r.json()["detail"]
    p = (await kit.tr("projects", below, "announced", "bureau", GD_COUNTY, {**CONSULT, **CONFIRMED})).json()
    assert p["method_details"]["threshold"] == {
        "amount": "4000000.00",
        "citation": "广东省政府集中采购目录及标准（2020年版） 公开招标数额标准（未核实）",
        "verified": False,
        "confirmed_by": CONFIRMED["threshold_confirmation"],
    }


async def test_splitting_to_stay_under_the_threshold_is_detected(kit: Kit) -> None:
    plan = await kit.plan(GD_COUNTY, test_today().year, amount="20000000.00")
    first = await _approved(kit, plan, "2500000.00")
    await kit.tr("projects", first, "announced", "bureau", GD_COUNTY, {**CONSULT, **CONFIRMED})
    # 5 million together: refused under Guangdong's 4 million and the national 2 million alike, so
    # no confirmation is asked for.
    second = await _approved(kit, plan, "2500000.00")
    r = await kit.tr("projects", second, "announced", "bureau", GD_COUNTY, CONSULT, expect=409)
    assert [x["code"] for x in r.json()["refusals"]] == ["PURCHASE_SPLITTING"]
    # Open tender for the second part is fine.
    await kit.tr("projects", second, "announced", "bureau", GD_COUNTY, {"method": "open_tender"})


async def test_price_weight_floor_and_room_for_the_other_factors(kit: Kit) -> None:
    # The law sets only the floor (87号令 55: ≥10 % for services); the price may not take the whole
    # score. A bureau's own ceiling is a local rule (test_procurement_rules).
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = await _approved(kit, plan, "900000.00")
    for w in ("9", "100"):
        r = await kit.tr(
            "projects",
            pid,
            "announced",
            "bureau",
            GD_COUNTY,
            {**CONSULT, "scoring": {"price_weight": w}},
            expect=409,
        )
        assert r.json()["code"] == "PRICE_WEIGHT_OUT_OF_RANGE"
    await kit.tr(
        "projects", pid, "announced", "bureau", GD_COUNTY, {**CONSULT, "scoring": {"price_weight": "10"}}
    )


async def test_consultation_goes_on_with_two_and_ends_with_one(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = await _approved(kit, plan, "900000.00")
    await kit.tr("projects", pid, "announced", "bureau", GD_COUNTY, CONSULT)
    bids = [(await kit.bid(pid, await kit.contractor(i), "850000.00")).json()["id"] for i in (1, 2)]
    await kit.tr("projects", pid, "bidding_closed", "bureau", GD_COUNTY)
    await kit.tr("projects", pid, "qualification_review", "bureau", GD_COUNTY)
    r = await kit.tr("projects", pid, "scoring", "bureau", GD_COUNTY, expect=409)
    assert r.json()["code"] == "QUALIFICATION_REVIEW_INCOMPLETE"
    for b, ok in zip(bids, (True, False), strict=True):
        await client.post(
            f"/projects/{pid}/bids/{b}/qualification",
            json={"qualified": ok},
            headers=auth("bureau", GD_COUNTY),
        )
    # One qualified: consultation ends (财库〔2015〕124号) — the project fails, it cannot be scored.
    r = await kit.tr("projects", pid, "scoring", "bureau", GD_COUNTY, expect=409)
    assert r.json()["code"] == "SUPPLIERS_INSUFFICIENT" and "财库〔2015〕124号" in r.json()["detail"]
    # Two qualified: it may go on, and failing it "for lack of suppliers" is refused.
    await client.post(
        f"/projects/{pid}/bids/{bids[1]}/qualification",
        json={"qualified": True},
        headers=auth("bureau", GD_COUNTY),
    )
    r = await kit.tr("projects", pid, "failed", "bureau", GD_COUNTY, reason="供应商不足", expect=409)
    assert r.json()["code"] == "SUPPLIERS_SUFFICIENT"
    await client.post(
        f"/projects/{pid}/bids/{bids[1]}/qualification",
        json={"qualified": False},
        headers=auth("bureau", GD_COUNTY),
    )
    p = (await kit.tr("projects", pid, "failed", "bureau", GD_COUNTY, reason="合格供应商仅 1 家")).json()
    assert p["outcome"]["failed"]["qualified"] == 1 and p["outcome"]["failed"]["minimum"] == 2
    # After failure: re-procure (a new round) or change method with finance's approval.
    await kit.tr("projects", pid, "approved", "bureau", GD_COUNTY, {"approval": "x"}, reason="r", expect=403)
    await kit.tr(
        "projects",
        pid,
        "approved",
        "finance",
        GD_COUNTY,
        {"approval": "汕财采〔2024〕9号"},
        reason="改为单一来源",
    )
    p = (
        await kit.tr(
            "projects",
            pid,
            "announced",
            "bureau",
            GD_COUNTY,
            {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5},
        )
    ).json()
    assert p["round"] == 2 and p["method"] == "single_source"
    assert (await client.get(f"/projects/{pid}/bids", headers=auth("bureau", GD_COUNTY))).json() == []


async def test_roles_and_jurisdiction(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = (await kit.project(GD_COUNTY, plan, budget="100000.00")).json()["id"]
    # A sibling county can neither see nor act: the project looks absent (404) to both; the city
    # above can see.
    r = await kit.tr("projects", pid, "approved", "finance", "441502", expect=404)
    assert r.json()["code"] == "PROJECT_NOT_FOUND"
    assert (await client.get(f"/projects/{pid}", headers=auth("bureau", "441502"))).status_code == 404
    assert (await client.get(f"/projects/{pid}", headers=auth("auditor", "441500"))).status_code == 200
    await kit.tr("projects", pid, "approved", "auditor", GD_COUNTY, expect=403)
    r = await kit.tr("projects", pid, "awarded", "bureau", GD_COUNTY, expect=409)
    assert r.json()["allowed"] == ["approved", "cancelled"]
    await kit.tr("projects", pid, "cancelled", "bureau", GD_COUNTY, expect=400)  # a reason is required


async def test_concurrent_conflicting_transitions_one_wins(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = (await kit.project(GD_COUNTY, plan, budget="100000.00")).json()["id"]
    await kit.jump("project", pid, status="announced", method="open_tender")
    h = auth("bureau", GD_COUNTY)
    bodies = [{"to": "bidding_closed"}, {"to": "cancelled", "reason": "需求变化"}] * 8

    async def go(body: dict[str, str]) -> int:
        return (await client.post(f"/projects/{pid}/transitions", json=body, headers=h)).status_code

    codes = await asyncio.gather(*(go(b) for b in bodies))
    assert sorted(codes) == [200] + [409] * 15
    ev = (await client.get(f"/projects/{pid}/events", headers=h)).json()
    assert len(ev) == 2 and ev[1]["changes"]["status"][0] == "announced"
    assert (await client.get(f"/projects/{pid}/events/verify", headers=h)).json()["ok"]


async def test_plan_budget_lines_limit_projects(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(GD_COUNTY, test_today().year, amount="1000000.00", approve=False)
    await kit.project(GD_COUNTY, plan, budget="600000.00")
    r = await kit.project(GD_COUNTY, plan, budget="400000.01", expect=409)
    assert r.json()["code"] == "BUDGET_EXCEEDED"
    r = await kit.project(GD_COUNTY, plan, budget="100000.00", source="welfare_lottery_funds", expect=409)
    assert (
        r.json()["code"] == "BUDGET_EXCEEDED"
    )  # no line for that funding source: each spent within its scope
    p = (await client.get(f"/plans/{plan}", headers=auth("finance", GD_COUNTY))).json()
    assert (
        p["budget_lines"][0]["committed"] == "600000.00" and p["budget_lines"][0]["remaining"] == "400000.00"
    )
    # A project under a plan not approved by finance cannot be approved.
    pid = (await client.get("/projects", headers=auth("bureau", GD_COUNTY))).json()["items"][0]["id"]
    r = await kit.tr("projects", pid, "approved", "finance", GD_COUNTY, expect=409)
    assert r.json()["code"] == "PLAN_NOT_APPROVED"
    await kit.tr("plans", plan, "approved", "finance", GD_COUNTY, expect=409)  # must be submitted first
    await kit.tr("plans", plan, "submitted", "bureau", GD_COUNTY)
    await kit.tr("plans", plan, "rejected", "finance", GD_COUNTY, reason="预算依据不足")
    await kit.tr("plans", plan, "draft", "bureau", GD_COUNTY)
    r = await client.put(
        f"/plans/{plan}/budget-lines",
        json={
            "budget_lines": [{"funding_source": "working_funds", "amount": "1200000.00", "scope": "经办服务"}]
        },
        headers=auth("bureau", GD_COUNTY),
    )
    assert r.status_code == 200 and r.json()["total"] == "1200000.00"
    twice = [{"funding_source": "working_funds", "amount": "1.00", "scope": "经办服务"}] * 2
    r = await client.put(
        f"/plans/{plan}/budget-lines", json={"budget_lines": twice}, headers=auth("bureau", GD_COUNTY)
    )
    assert (
        r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/budget_lines"
    )  # one line per source
    ev = (await client.get(f"/plans/{plan}/events", headers=auth("auditor", GD_COUNTY))).json()
    assert [e["action"] for e in ev] == [
        "plan.created",
        "plan.submit",
        "plan.reject",
        "plan.revise",
        "plan.lines_replaced",
    ]
