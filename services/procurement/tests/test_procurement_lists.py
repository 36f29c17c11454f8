"""Lists a bureau finds its records by (records issue): plans, projects, contracts and payments, each
narrowed by its read policy (another county's records never appear, whatever the filter), filtered,
counted, paged by cursor; and a 409 that says "exists" names the existing record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from jiuzhu_devtools.testing import test_today

from .conftest import Kit, code

SHANGCHENG = "330102"  # 杭州市上城区: each test its own cities; no other test writes in Zhejiang
GONGSHU = "330105"  # 杭州市拱墅区
YINZHOU = "330212"  # 宁波市鄞州区: another city
JINDONG = "330703"  # 金华市金东区
LUCHENG, LONGWAN, NANHU = "330302", "330303", "330402"  # 温州市鹿城区, 龙湾区; 嘉兴市南湖区
WUXING, NANXUN, YUECHENG = "330502", "330503", "330602"  # 湖州市吴兴区, 南浔区; 绍兴市越城区


async def pages(
    kit: Kit, path: str, headers: dict[str, str], limit: int = 1, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, paged through with `limit`, each page checked."""
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = await kit.c.get(
            path, params={**params, "limit": limit} | ({"cursor": cursor} if cursor else {}), headers=headers
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


async def ids(kit: Kit, path: str, headers: dict[str, str], **params: Any) -> list[str]:
    r = await kit.c.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["items"]]


async def test_plans_list_by_jurisdiction_filters_and_cursor(kit: Kit) -> None:
    year = test_today().year
    mine = [
        await kit.plan(d, y, approve=False)
        for d, y in ((SHANGCHENG, year), (SHANGCHENG, year + 1), (GONGSHU, year))
    ]
    other = await kit.plan(YINZHOU, year, approve=False)
    await kit.tr("plans", mine[0], "submitted", "bureau", SHANGCHENG)
    city = kit.auth("bureau", "330100")
    everything = await pages(kit, "/plans", city)
    assert [p["id"] for p in everything] == [mine[1], mine[2], mine[0]], "year first, then newest"
    assert other not in [p["id"] for p in everything]
    assert everything[0]["budget_lines"][0]["remaining"] == "5000000.00"
    assert await ids(kit, "/plans", city, division_code=SHANGCHENG) == [mine[1], mine[0]]
    assert await ids(kit, "/plans", city, year=year) == [mine[2], mine[0]]
    assert await ids(kit, "/plans", city, status="submitted") == [mine[0]]
    assert await ids(kit, "/plans", city, q=f"{year + 1} 年度") == [mine[1]]
    # Another city's plan never appears, whatever the filter; a county sees only its own.
    assert await ids(kit, "/plans", city, division_code=YINZHOU) == []
    assert await ids(kit, "/plans", kit.auth("finance", GONGSHU)) == [mine[2]]
    # Refusals: a role that never reads plans, a bad filter, a forged cursor.
    r = await kit.c.get("/plans", headers=kit.auth("contractor", SHANGCHENG, org=code(1, div=SHANGCHENG)))
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
    r = await kit.c.get("/plans", params={"status": "approvedish"}, headers=city)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/query/status", r.text
    r = await kit.c.get("/plans", params={"division_code": "999999"}, headers=city)
    assert (r.status_code, r.json()["errors"][0]["code"]) == (422, "DIVISION_CODE_INVALID")
    r = await kit.c.get("/plans", params={"cursor": "WyJ4Il0"}, headers=city)
    assert (r.status_code, r.json()["code"]) == (400, "CURSOR_INVALID")


async def test_plan_exists_names_the_existing_plan_only_to_whom_may_read_it(kit: Kit) -> None:
    year = test_today().year + 2
    first = await kit.plan(JINDONG, year, approve=False)
    body = {
        "division_code": JINDONG,
        "year": year,
        "title": "重复的计划",
        "budget_lines": [{"funding_source": "working_funds", "amount": "1.00", "scope": "社会救助经办服务"}],
    }
    r = await kit.c.post("/plans", json=body, headers=kit.auth("bureau", JINDONG))
    assert (r.status_code, r.json()["code"]) == (409, "PLAN_EXISTS")
    assert r.json()["existing"] == {"id": first, "href": f"/plans/{first}"}
    assert r.headers["location"] == f"/plans/{first}"
    assert (await kit.c.get(r.json()["existing"]["href"], headers=kit.auth("bureau", JINDONG))).json()[
        "id"
    ] == first
    # Through the gateway the link is the gateway's path.
    fwd = {**kit.auth("bureau", JINDONG), "X-Forwarded-Prefix": "/api/procurement"}
    r = await kit.c.post("/plans", json=body, headers=fwd)
    assert r.json()["existing"]["href"] == f"/api/procurement/plans/{first}"
    # Whoever may draft a plan may read its division's: a plan is always named (rounds and surveys,
    # keyed by a contract, show the other case: tests in services/evaluation).


async def test_projects_filter_count_and_never_show_another_county(kit: Kit) -> None:
    year = test_today().year
    plan = await kit.plan(LUCHENG, year, amount="9000000.00")
    plan_g = await kit.plan(LONGWAN, year, amount="9000000.00")
    plan_n = await kit.plan(NANHU, year, amount="9000000.00")
    a = (await kit.project(LUCHENG, plan, budget="100000.00")).json()["id"]
    b = (await kit.project(LUCHENG, plan, budget="100000.00")).json()["id"]
    g = (await kit.project(LONGWAN, plan_g, budget="100000.00")).json()["id"]
    n = (await kit.project(NANHU, plan_n, budget="100000.00")).json()["id"]
    winner = code(7501, div=LUCHENG)
    earlier = (test_today() - timedelta(days=40)).isoformat()
    await kit.sql("UPDATE procurement.project SET title = '上城区 困难群众探访服务' WHERE id = $1::uuid", b)
    await kit.jump("project", b, status="awarded", method="competitive_consultation", awarded_uscc=winner)
    await kit.sql(f"UPDATE procurement.project SET declared_on = '{earlier}'::date WHERE id = $1::uuid", a)
    await kit.jump("project", n, status="awarded", method="competitive_consultation", awarded_uscc=winner)
    city = kit.auth("auditor", "330300")
    assert [p["id"] for p in await pages(kit, "/projects", city, limit=2)] == [g, b, a]
    assert await ids(kit, "/projects", city, division_code=LUCHENG) == [b, a]
    assert await ids(kit, "/projects", city, plan_id=plan) == [b, a]
    assert await ids(kit, "/projects", city, year=year) == [g, b, a]
    assert await ids(kit, "/projects", city, year=year + 1) == []
    assert await ids(kit, "/projects", city, status="awarded") == [b]
    assert await ids(kit, "/projects", city, method="competitive_consultation") == [b]
    assert await ids(kit, "/projects", city, contractor_uscc=winner) == [b], "Ningbo's award absent"
    assert await ids(kit, "/projects", city, declared_to=earlier) == [a]
    assert await ids(kit, "/projects", city, declared_from=test_today().isoformat()) == [g, b]
    assert await ids(kit, "/projects", city, q="探访") == [b]
    assert await ids(kit, "/projects", city, division_code=NANHU) == []
    assert await ids(kit, "/projects", city, plan_id=plan_n) == []
    r = await kit.c.get("/projects/counts", params={"division_code": LUCHENG}, headers=city)
    assert r.json() == {"total": 2, "by_status": {"awarded": 1, "declared": 1}}
    r = await kit.c.get("/projects/counts", headers=kit.auth("bureau", NANHU))
    assert r.json() == {"total": 1, "by_status": {"awarded": 1}}
    r = await kit.c.get(
        "/projects", params={"declared_from": "2026-02-01", "declared_to": "2026-01-01"}, headers=city
    )
    assert (r.status_code, r.json()["code"]) == (422, "RANGE_INVERTED")
    r = await kit.c.get("/projects", params={"method": "auction"}, headers=city)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/query/method"
    r = await kit.c.get("/projects", params={"contractor_uscc": "X"}, headers=city)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "USCC_INVALID"


def _contract(schedule: list[dict[str, Any]], subject: str) -> dict[str, Any]:
    return {
        "subject": subject,
        "service_standards": "按采购文件约定的服务标准执行",
        "quantity": "1 项",
        "term_start": test_today().isoformat(),
        "term_end": (test_today() + timedelta(days=300)).isoformat(),
        "payment_method": "按合同约定的付款条件拨付",
        "payment_schedule": schedule,
        "breach_liability": "按合同约定追究违约责任",
        "dispute_resolution": "协商不成向采购人所在地人民法院起诉",
        "takeover_plan": "承接主体不能履约时由民政局临时接管，并重新组织采购",
    }


async def test_contracts_and_payments_lists(kit: Kit) -> None:
    year = test_today().year
    made: dict[str, tuple[str, str]] = {}
    due = [(test_today() + timedelta(days=d)).isoformat() for d in (60, 120)]
    for i, div in enumerate((WUXING, NANXUN, YUECHENG)):
        plan = await kit.plan(div, year, amount="9000000.00")
        pid = (await kit.project(div, plan, budget="200000.00")).json()["id"]
        company = await kit.contractor(7510 + i, div=div)
        await kit.jump(
            "project", pid, status="awarded", awarded_uscc=company, awarded_amount=Decimal("200000.00")
        )
        schedule = [
            {"period": f"{year}-H1", "amount": "100000.00", "due_on": due[0], "gate": "on_signing"},
            {"period": f"{year}-H2", "amount": "100000.00", "due_on": due[1], "gate": "acceptance"},
        ]
        r = await kit.c.post(
            f"/projects/{pid}/contract",
            json=_contract(schedule, f"探访服务合同{i}"),
            headers=kit.auth("bureau", div),
        )
        assert r.status_code == 201, r.text
        made[div] = (r.json()["id"], company)
        await kit.tr("projects", pid, "contract_signed", "bureau", div)  # the payments are scheduled
    city = kit.auth("bureau", "330500")
    got = await pages(kit, "/contracts", city)
    assert [c["id"] for c in got] == [made[NANXUN][0], made[WUXING][0]]
    assert [len(c["payments"]) for c in got] == [2, 2]
    assert await ids(kit, "/contracts", city, division_code=NANXUN) == [made[NANXUN][0]]
    assert await ids(kit, "/contracts", city, contractor_uscc=made[WUXING][1]) == [made[WUXING][0]]
    assert await ids(kit, "/contracts", city, contractor_uscc=made[YUECHENG][1]) == []
    assert await ids(kit, "/contracts", city, status="signed", q="合同1") == [made[NANXUN][0]]
    assert await ids(kit, "/contracts", city, on=(test_today() + timedelta(days=301)).isoformat()) == []
    # The contractor reads its own contract wherever its token was issued, and nothing else.
    own = kit.auth("contractor", "640181", org=made[YUECHENG][1])
    assert await ids(kit, "/contracts", own) == [made[YUECHENG][0]]
    # Payments: soonest due first, paged through, scoped the same way.
    pays = await pages(kit, "/payments", city, limit=1)
    assert sorted((p["contract_id"], p["period"]) for p in pays) == sorted(
        (made[d][0], f"{year}-{h}") for d in (WUXING, NANXUN) for h in ("H1", "H2")
    )
    assert [p["due_on"] for p in pays] == [due[0], due[0], due[1], due[1]]
    assert {p["amount"] for p in pays} == {"100000.00"}
    assert len(await ids(kit, "/payments", city, due_to=due[0])) == 2
    assert await ids(kit, "/payments", city, contract_id=made[YUECHENG][0]) == []
    assert len(await ids(kit, "/payments", own)) == 2
    r = await kit.c.get("/payments", params={"due_from": due[1], "due_to": due[0]}, headers=city)
    assert (r.status_code, r.json()["code"]) == (422, "RANGE_INVERTED")


JIAOJIANG, HUANGYAN = "331002", "331003"  # 台州市椒江区, 黄岩区: only here


async def test_bids_list_keeps_sealed_bids_sealed(kit: Kit) -> None:
    opened_pid, opened = await kit.to_scoring(JIAOJIANG)
    plan = (
        await kit.c.get("/plans", params={"division_code": JIAOJIANG}, headers=kit.auth("bureau", JIAOJIANG))
    ).json()["items"][0]["id"]
    sealed_pid = (await kit.project(JIAOJIANG, plan, budget="100000.00")).json()["id"]
    await kit.tr("projects", sealed_pid, "approved", "finance", JIAOJIANG)
    await kit.tr(
        "projects",
        sealed_pid,
        "announced",
        "bureau",
        JIAOJIANG,
        {"method": "open_tender", "scoring": {"price_weight": "30", "history_weight": "0"}},
    )
    kit.n += 1
    bidder = await kit.contractor(kit.n)
    sealed = (await kit.bid(sealed_pid, bidder, "90000.00")).json()["id"]
    county = kit.auth("bureau", JIAOJIANG)
    listed = await pages(kit, "/bids", county, limit=2)
    assert [b["id"] for b in listed] == [sealed, *reversed(opened)]
    assert (listed[0]["sealed"], listed[0]["uscc"], listed[0]["price"]) == (True, None, None)
    assert all(b["price"] is not None and b["uscc"] for b in listed[1:])
    assert await ids(kit, "/bids", county, opened="false") == [sealed]
    assert await ids(kit, "/bids", county, project_id=opened_pid) == list(reversed(opened))
    # No filter finds a sealed bid by its bidder: nothing of it is stored in clear.
    assert await ids(kit, "/bids", county, contractor_uscc=bidder) == []
    assert await ids(kit, "/bids", kit.auth("contractor", JIAOJIANG, org=bidder)) == []
    first_bidder = listed[-1]["uscc"]
    assert await ids(kit, "/bids", kit.auth("contractor", "640181", org=first_bidder)) == [opened[0]]
    assert await ids(kit, "/bids", kit.auth("bureau", HUANGYAN)) == []
    assert await ids(kit, "/bids", kit.auth("auditor", "331000"), division_code=HUANGYAN) == []
    r = await kit.c.get("/bids", headers=kit.auth("evaluator", JIAOJIANG))
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")


async def test_contractors_debarments_challenges_complaints_lists(kit: Kit) -> None:
    a = await kit.contractor(7601, name="椒江甲社会工作服务中心", div=JIAOJIANG)
    b = await kit.contractor(7602, name="黄岩乙社会工作服务中心", div=HUANGYAN)
    h = kit.auth("auditor", "000000")
    found = await pages(kit, "/contractors", h, q="社会工作服务中心", division_code="331000")
    assert [c["uscc"] for c in found] == [a, b], "by name (椒 before 黄)"
    assert found[1]["legal_representative"] == "张三丰"
    masked = (
        await kit.c.get("/contractors", params={"q": b}, headers=kit.auth("evaluator", HUANGYAN))
    ).json()
    assert masked["items"][0]["legal_representative"] == "张**" and masked["items"][0]["uscc"] == b
    # A debarment case: the reporting county and the contractor read it, nobody elsewhere.
    r = await kit.c.post(
        f"/contractors/{a}/debarments",
        json={"grounds": "虚报服务人次，情节严重"},
        headers=kit.auth("bureau", JIAOJIANG),
    )
    assert r.status_code == 201, r.text
    case = r.json()["id"]
    assert await ids(kit, "/debarments", kit.auth("bureau", JIAOJIANG)) == [case]
    assert await ids(
        kit, "/debarments", kit.auth("finance", "331000"), contractor_uscc=a, status=r.json()["status"]
    ) == [case]
    assert await ids(kit, "/debarments", kit.auth("contractor", "640181", org=a)) == [case]
    assert await ids(kit, "/debarments", kit.auth("contractor", HUANGYAN, org=b)) == []
    assert await ids(kit, "/debarments", kit.auth("bureau", HUANGYAN), contractor_uscc=a) == []
    assert await ids(kit, "/debarments", kit.auth("bureau", JIAOJIANG), on=test_today().isoformat()) == []
    # Challenges and complaints of another county never appear (none exist in Taizhou here).
    for path in ("/challenges", "/complaints"):
        assert await ids(kit, path, kit.auth("finance", JIAOJIANG)) == []
        everywhere = await ids(kit, path, kit.auth("auditor", "000000"), division_code=JIAOJIANG)
        assert everywhere == []
        r = await kit.c.get(path, headers=kit.auth("contractor", JIAOJIANG, org=a))
        assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
