"""Procurement's rules as dated, cited data: published anonymously, and enforced with their clause.

The small-enterprise price deduction for services was 6–10 % (财库〔2011〕181号, then 财库〔2020〕46号)
and is 10–20 % from 2022-07-01 (财库〔2022〕19号); the rule in force on the announcement date applies.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from jiuzhu_devtools.testing import test_today
from jiuzhu_kit.rules.parse import Checker
from jiuzhu_procurement.rulebook.units import parse_exclusion_reasons

from .conftest import GD_COUNTY, Kit

CONSULT = {"method": "competitive_consultation", "ground": "purchased_services"}


async def test_the_rules_in_force_switch_on_their_date(client: httpx.AsyncClient) -> None:
    def by_name(body: dict[str, object]) -> dict[str, dict[str, object]]:
        return {r["name"]: r for r in body["rules"]}  # type: ignore[attr-defined,index]

    before = await client.get("/rules/in-force", params={"division_code": GD_COUNTY, "on": "2022-06-30"})
    after = await client.get("/rules/in-force", params={"division_code": GD_COUNTY, "on": "2022-07-01"})
    assert before.status_code == after.status_code == 200  # no token: the rules are public
    assert after.headers["cache-control"] == "public, max-age=300" and after.headers["etag"]
    low_before, low_after = (
        by_name(before.json())["sme_price_deduction_min"],
        by_name(after.json())["sme_price_deduction_min"],
    )
    assert (low_before["value"], low_before["citation"]["text"]) == ("0.06", "财库〔2020〕46号 第九条")  # type: ignore[index]
    assert (low_after["value"], low_after["citation"]["text"]) == ("0.10", "财库〔2022〕19号 二")  # type: ignore[index]
    assert by_name(after.json())["sme_price_deduction_max"]["value"] == "0.20"
    in_2015 = by_name(
        (await client.get("/rules/in-force", params={"division_code": GD_COUNTY, "on": "2015-03-01"})).json()
    )
    assert in_2015["sme_price_deduction_min"]["citation"]["text"] == "财库〔2011〕181号 第五条"  # type: ignore[index]
    docs = {d["key"]: d for d in (await client.get("/rules/documents")).json()}
    assert docs["财库〔2022〕19号"]["title"] == "财政部关于进一步加大政府采购支持中小企业力度的通知"
    pack = (await client.get("/rules/cn-procurement")).json()
    assert (
        pack["jurisdiction"] == "000000" and len(pack["parameters"]["sme_price_deduction_min"]["values"]) == 3
    )
    bad = await client.get("/rules/in-force", params={"division_code": "440103\n", "on": "2022-07-01"})
    assert bad.status_code == 422


async def test_a_deduction_outside_the_band_in_force_is_refused_with_its_clause(kit: Kit) -> None:
    # Today's band is 10–20 % (from 2022-07-01): 8 % was lawful in 2021, not now.
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = (await kit.project(GD_COUNTY, plan, budget="900000.00", items=["AS10"])).json()["id"]
    await kit.tr("projects", pid, "approved", "finance", GD_COUNTY)
    for pct in ("8", "21"):
        r = await kit.tr(
            "projects",
            pid,
            "announced",
            "bureau",
            GD_COUNTY,
            {**CONSULT, "scoring": {"sme_deduction_percent": pct}},
            expect=409,
        )
        body = r.json()
        assert body["code"] == "SME_DEDUCTION_OUT_OF_BAND"
        assert "10% 至 20%" in body["detail"] and "财库〔2022〕19号 二" in body["detail"]
    ok = await kit.tr(
        "projects",
        pid,
        "announced",
        "bureau",
        GD_COUNTY,
        {**CONSULT, "scoring": {"sme_deduction_percent": "15"}},
    )
    applied = ok.json()["method_details"]["rules"]["sme_price_deduction"]
    assert applied == {"percent": "15", "band": ["10", "20"], "citation": "财库〔2022〕19号 二"}


FJ_COUNTY = "350821"  # 长汀县, 龙岩市 (Fujian, seed 001)
LUFENG, SHANGHANG = "441581", "350823"  # 陆丰市 (Guangdong), 上杭县 (Fujian): the panel rules are national


def _in_force(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in body["rules"]}


async def _rules(client: httpx.AsyncClient, division: str, on: str) -> dict[str, dict[str, Any]]:
    r = await client.get("/rules/in-force", params={"division_code": division, "on": on})
    assert r.status_code == 200, r.text
    return _in_force(r.json())


async def test_each_kind_of_procurement_rule_switches_on_its_date(client: httpx.AsyncClient) -> None:
    """Published through the API, each kind on both sides of a date it changes."""
    # Suppliers a consultation needs: 3 (财库〔2014〕214号), 2 for purchased services from 2015-06-30.
    before, after = (
        await _rules(client, GD_COUNTY, "2015-06-29"),
        await _rules(client, GD_COUNTY, "2015-06-30"),
    )
    need_before, need_after = (
        before["min_suppliers_competitive_consultation"],
        after["min_suppliers_competitive_consultation"],
    )
    assert (need_before["value"], need_before["citation"]["text"]) == (3, "财库〔2014〕214号 第三条")
    assert (need_after["value"], need_after["citation"]["text"]) == (2, "财库〔2015〕124号 正文")
    # The tender panel: 5+ whatever the budget (财政部令第18号, unverified), 7+ from 10 million
    # (财政部令第87号 47) from 2017-10-01.
    old, new = (
        (await _rules(client, GD_COUNTY, "2017-09-30"))["panel_min_tender"],
        (await _rules(client, GD_COUNTY, "2017-10-01"))["panel_min_tender"],
    )
    assert old["verified"] is False and [(b["range"], b["value"]) for b in old["brackets"]] == [
        ("[0, inf)", 5)
    ]
    assert [(b["range"], b["value"]) for b in new["brackets"]] == [
        ("[0, 10000000)", 5),
        ("[10000000, inf)", 7),
    ]
    assert new["citation"]["text"] == "财政部令第87号 第四十七条"
    # Framework agreements exist from 2022-03-01 (财政部令第110号).
    assert "grounds_framework_agreement" not in await _rules(client, GD_COUNTY, "2022-02-28")
    framework = (await _rules(client, GD_COUNTY, "2022-03-01"))["grounds_framework_agreement"]
    assert framework["value"][0]["key"] == "small_frequent_purchases"
    # Contract terms: Fujian allowed up to 3 years from 2018-04-12 (闽民保〔2018〕58号 一(四)); from
    # 2020-03-01 the national rule says 1 year normally, 3 at most (财政部令第102号 24).
    fj_2018, fj_2019, fj_2020 = (
        await _rules(client, FJ_COUNTY, "2018-04-11"),
        await _rules(client, FJ_COUNTY, "2019-06-01"),
        await _rules(client, FJ_COUNTY, "2020-03-01"),
    )
    assert "contract_term_years_max" not in fj_2018
    assert fj_2019["contract_term_years_max"]["citation"]["text"] == "闽民保〔2018〕58号 一(四)"
    assert "contract_term_years_normal" not in fj_2019
    assert fj_2020["contract_term_years_normal"]["value"] == 1
    assert fj_2020["contract_term_years_max"]["citation"]["text"] == "财政部令第102号 第二十四条"
    # The experts' share is a fraction, published as written.
    assert fj_2020["panel_expert_share_tender"]["value"] == "2/3"


async def test_the_panel_is_judged_by_the_rules_of_its_announcement_date(kit: Kit) -> None:
    """A 12-million tender needs 7 members under 87号令 47; one announced before 2017-10-01 needed 5."""
    prices = ["11000000.00", "11500000.00", "11800000.00"]
    pid, bids = await kit.to_scoring(LUFENG, budget="12000000.00", plan_amount="30000000.00", prices=prices)
    r = await kit.score(LUFENG, pid, bids, ["65", "60", "55"], expect=409)
    assert r.json()["code"] == "PANEL_INVALID"
    assert "7 人以上单数" in r.json()["detail"] and "财政部令第87号 第四十七条" in r.json()["detail"]
    await kit.score(LUFENG, pid, bids, ["65", "60", "55"], panel=7)
    # The same project announced on 2017-09-30: five members were enough (财政部令第18号, unverified).
    pid, bids = await kit.to_scoring(
        SHANGHANG, budget="12000000.00", plan_amount="30000000.00", prices=prices
    )
    await kit.jump("project", pid, announced_on=date(2017, 9, 30))
    await kit.score(SHANGHANG, pid, bids, ["65", "60", "55"], panel=5)


def _contract(start: date, years: int, price: str, reason: str | None = None) -> dict[str, Any]:
    end = date(start.year + years, start.month, start.day) - timedelta(days=1)
    body: dict[str, Any] = {
        "subject": "社会救助经办服务",
        "service_standards": "按合同约定的服务标准",
        "quantity": "10 名经办人员",
        "term_start": start.isoformat(),
        "term_end": end.isoformat(),
        "payment_method": "按年度考核后支付",
        "payment_schedule": [{"period": "Y1", "amount": price, "due_on": end.isoformat()}],
        "breach_liability": "按合同约定追究违约责任",
        "dispute_resolution": "协商不成向人民法院起诉",
        "takeover_plan": "承接主体退出时由县民政局临时接管",
    }
    if reason:
        body["term_reason"] = reason
    return body


async def test_contract_term_limits_are_the_rules_of_the_drafting_day(
    client: httpx.AsyncClient, kit: Kit
) -> None:
    pid, bids = await kit.to_scoring(FJ_COUNTY)
    await kit.score(FJ_COUNTY, pid, bids, ["60", "65", "55"])
    price = (await kit.tr("projects", pid, "awarded", "bureau", FJ_COUNTY)).json()["awarded_amount"]

    async def draft(body: dict[str, Any], clock: str | None = None) -> httpx.Response:
        headers = kit.auth("bureau", FJ_COUNTY)
        if clock:
            headers["X-Jiuzhu-Clock"] = clock
        return await client.post(f"/projects/{pid}/contract", json=body, headers=headers)

    # Drafted in 2019 in Fujian: up to 3 years (闽民保〔2018〕58号 一(四)), no reason needed for 2.
    in_2019 = "2019-06-01T10:00:00+08:00"
    r = await draft(_contract(date(2019, 7, 1), 4, price, "连续性强"), in_2019)
    assert (r.status_code, r.json()["code"]) == (409, "CONTRACT_TERM_TOO_LONG")
    assert "超过 3 年" in r.json()["detail"] and "闽民保〔2018〕58号 一(四)" in r.json()["detail"]
    r = await draft(_contract(date(2019, 7, 1), 2, price), in_2019)
    assert r.status_code == 201, r.text
    # Drafted today: over 1 year needs a stated reason (财政部令第102号 24).
    start = test_today() + timedelta(days=30)
    r = await draft(_contract(start, 2, price))
    assert (r.status_code, r.json()["code"]) == (409, "CONTRACT_TERM_TOO_LONG")
    assert (
        "超过 1 年但未说明理由" in r.json()["detail"] and "财政部令第102号 第二十四条" in r.json()["detail"]
    )
    r = await draft(_contract(start, 2, price, "服务内容固定、连续性强、经费来源稳定"))
    assert r.status_code == 201, r.text


async def test_framework_agreements_are_refused_before_their_rule(kit: Kit) -> None:
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = (await kit.project(GD_COUNTY, plan, budget="300000.00", items=["AS10"])).json()["id"]
    await kit.tr("projects", pid, "approved", "finance", GD_COUNTY)
    body = {
        "to": "announced",
        "data": {"method": "framework_agreement", "ground": "small_frequent_purchases"},
    }
    headers = {**kit.auth("bureau", GD_COUNTY), "X-Jiuzhu-Clock": "2022-02-28T10:00:00+08:00"}
    r = await kit.c.post(f"/projects/{pid}/transitions", json=body, headers=headers)
    assert (r.status_code, r.json()["code"]) == (409, "PROCUREMENT_METHOD_NOT_ALLOWED"), r.text
    assert [(x["code"], x["citation"]) for x in r.json()["refusals"]] == [
        ("METHOD_NOT_IN_FORCE", "财政部令第110号 第三条")
    ]
    headers["X-Jiuzhu-Clock"] = "2022-03-01T10:00:00+08:00"
    # Its call for suppliers runs at least 20 days (110号令, unverified): 2022-03-21 at the earliest.
    short = {**body, "data": {**body["data"], "response_deadline": "2022-03-20"}}
    r = await kit.c.post(f"/projects/{pid}/transitions", json=short, headers=headers)
    assert (r.status_code, r.json()["code"]) == (409, "PERIOD_TOO_SHORT"), r.text
    assert r.json()["earliest_deadline"] == "2022-03-21" and "财政部令第110号" in r.json()["detail"]
    r = await kit.c.post(f"/projects/{pid}/transitions", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["method_details"]["ground_citation"] == "财政部令第110号 第三条"
    assert r.json()["response_deadline"] == "2022-03-21"
    assert r.json()["method_details"]["period"]["citation"].startswith("财政部令第110号")


LUHE, SHANWEI = "441523", "441500"  # 陆河县 and its city 汕尾市 (a county of its own: its pack stays)


async def test_a_bureau_sets_its_own_price_weight_ceiling_without_a_restart(kit: Kit) -> None:
    plan = await kit.plan(LUHE, test_today().year)
    first, second = [
        (await kit.project(LUHE, plan, budget="400000.00", items=["AS10"])).json()["id"] for _ in range(2)
    ]
    for pid in (first, second):
        await kit.tr("projects", pid, "approved", "finance", LUHE)
    heavy = {**CONSULT, "scoring": {"price_weight": "40"}}
    # No ceiling of its own yet: a 40 % price weight is lawful (87号令 55 sets only the floor).
    await kit.tr("projects", first, "announced", "bureau", LUHE, heavy)
    policy = {
        "id": "luhe-scoring",
        "version": 1,
        "title": "陆河县政府购买服务评审办法",
        "cite_as": "陆河县评审办法",
        "issuer": "陆河县民政局",
        "published": "2024-01-01",
        "effective_from": "2024-01-01",
        "jurisdiction": LUHE,
        "inherits": "gd-procurement",
        "parameters": {
            "price_weight_max": {
                "label": "服务项目价格分值占比上限",
                "unit": "ratio",
                "values": [
                    {
                        "from": "2024-01-01",
                        "value": "0.30",
                        "citation": {"document": "陆河县评审办法", "clause": "第五条"},
                    }
                ],
            }
        },
    }
    r = await kit.c.post("/rules/local-packs", json={"pack": policy}, headers=kit.auth("bureau", LUHE))
    assert r.status_code == 201, r.text
    r = await kit.c.post(
        f"/rules/local-packs/{r.json()['id']}/transitions",
        json={"to": "published", "reason": "经市局审核"},
        headers=kit.auth("bureau", SHANWEI, sub="shanwei-reviewer"),
    )
    assert r.status_code == 200, r.text
    r = await kit.tr("projects", second, "announced", "bureau", LUHE, heavy, expect=409)
    assert r.json()["code"] == "PRICE_WEIGHT_OUT_OF_RANGE"
    assert "10% 至 30%" in r.json()["detail"] and "陆河县评审办法 第五条" in r.json()["detail"]
    ok = await kit.tr(
        "projects", second, "announced", "bureau", LUHE, {**CONSULT, "scoring": {"price_weight": "30"}}
    )
    assert ok.json()["method_details"]["rules"]["price_weight_max"]["percent"] == "30"


async def test_every_seeded_province_has_its_thresholds_dated_and_marked_unverified(
    client: httpx.AsyncClient,
) -> None:
    """Guangdong, Fujian, Ningxia, Shanghai, Sichuan: the 2020 local amounts are not checked against
    their documents, so they are published as unverified (and confirmed on a project where they
    decide: test_procurement_guangdong)."""
    for division, document in (
        ("441521", "广东省政府集中采购目录及标准（2020年版）"),
        ("350821", "福建省政府集中采购目录及标准（2020年版）"),
        ("640181", "宁夏回族自治区政府集中采购目录及标准（2020年版）"),
        ("310104", "上海市政府集中采购目录及标准（2020年版）"),
        ("510121", "四川省政府集中采购目录及标准（2020年版）"),
    ):
        before = (await _rules(client, division, "2019-12-31"))["open_tender_threshold"]
        after = (await _rules(client, division, "2020-01-01"))["open_tender_threshold"]
        assert (before["value"], before["citation"]["document"]) == ("2000000.00", "国办发〔2016〕96号")
        assert (after["value"], after["citation"]["document"], after["verified"]) == (
            "4000000.00",
            document,
            False,
        )


async def test_expert_exclusion_reasons_are_dated_rules_with_their_clauses(client: httpx.AsyncClient) -> None:
    """回避 and the pool's conditions, as dated data: the conflicts of the implementing regulations
    (实施条例 9, from 2015-03-01), of the experts' rules (财库〔2016〕198号 16, from 2017-01-01), and
    the purchaser's own staff sitting only as its representatives (87号令 47, from 2017-10-01)."""

    async def reasons(day: str) -> dict[str, str] | None:
        r = await client.get("/rules/in-force", params={"division_code": GD_COUNTY, "on": day})
        rule = {x["name"]: x for x in r.json()["rules"]}.get("expert_exclusion_reasons")
        if rule is None:
            return None
        cite = {
            x["key"]: "; ".join(c["text"] for c in x["citations"]) + ("" if x["verified"] else "（未核实）")
            for x in rule["value"]
        }
        assert list(cite) == [
            "inactive",
            "bidder_organisation",
            "declared_conflict_bidder",
            "purchaser_organisation",
            "declared_conflict_purchaser",
            "fields",
        ]
        return cite

    assert await reasons("2004-09-10") is None
    assert (await reasons("2004-09-11") or {})["bidder_organisation"] == "政府采购法 第十二条"
    before, on = await reasons("2015-02-28") or {}, await reasons("2015-03-01") or {}
    assert before["declared_conflict_bidder"] == "政府采购法 第十二条"
    assert on["declared_conflict_bidder"] == "政府采购法实施条例 第九条"
    assert on["fields"] == "政府采购法实施条例 第三十九条"
    before, on = await reasons("2016-12-31") or {}, await reasons("2017-01-01") or {}
    assert before["declared_conflict_purchaser"] == "政府采购法实施条例 第九条"
    assert on["declared_conflict_purchaser"] == "财库〔2016〕198号 第十六条"
    before, on = await reasons("2017-09-30") or {}, await reasons("2017-10-01") or {}
    assert before["purchaser_organisation"] == "政府采购法 第十二条（未核实）"
    assert on["purchaser_organisation"] == "财政部令第87号 第四十七条"
    assert on["inactive"] == on["fields"] == "财政部令第87号 第四十八条"
    assert on["bidder_organisation"] == "财库〔2016〕198号 第十六条; 政府采购法实施条例 第九条"


def test_a_pack_that_leaves_out_an_exclusion_reason_is_refused() -> None:
    cite = [{"document": "政府采购法", "clause": "第十二条"}]
    chk = Checker("test")
    parse_exclusion_reasons(
        [{"key": "inactive", "name_zh": "停用", "name_en": "inactive", "citations": cite}], chk, "v"
    )
    assert any("排除事由应依次为" in p for p in chk.problems), chk.problems
