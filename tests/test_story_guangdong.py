"""The whole story of seed 000 (a Guangdong city's plan), through the gateway, across all three services.

海丰县 computes its caseworkers by the county and township brackets (二(六)), its working funds at
3% of last year's dibao spending (二(五)), buys the service by open tender with comprehensive
scoring (二(四): never "lowest price wins"), signs a three-year contract with a stated reason
(二(七); 财政部令第102号 24), assesses the caseworkers every year and re-projects the budget with
+5% for each qualified year (二(七), 四(三)); the county reports to the city (三).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from jiuzhu_devtools.testing import LiveStack
from tests.stories import STAFF_GOOD, STAFF_POOR, every_chain, story, uscc

COUNTY_CODE = "441521"  # 海丰县, 汕尾市
CITY = "441500"
# Each township sits on a bracket edge (民法典 1259: 以下/以上 include the number itself).
TOWNSHIPS = [
    {"name": "甲镇", "assisted_households": 300},  # 300户以下 → 2
    {"name": "乙镇", "assisted_households": 301},  # 300户到600户 → 4
    {"name": "丙镇", "assisted_households": 600},  # 600户以上 → 6
    {"name": "丁街道", "kind": "street_office", "assisted_households": 3799},  # → 6
]
COUNTY = {"division_code": COUNTY_CODE, "townships": TOWNSHIPS}  # county: 5000 households → 4
PEOPLE = 22
DIBAO_2018 = "41234567.89"
WORKING_FUNDS = "1237037.04"  # 41,234,567.89 × 3% = 1,237,037.0367 → half-up to the fen


async def test_guangdong_county_brackets_tender_and_raises(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        bureau, finance = ("bureau", COUNTY_CODE), ("finance", COUNTY_CODE)

        # 1. Caseworkers for the county bureau and each township (二(六)).
        staffing = {"on": "2019-06-01", "county": COUNTY}
        calc = await w.call("POST", "/api/staffing/calculations/staffing", bureau, json=staffing)
        assert calc["pack"]["id"] == "gd-city-plan" and calc["totals"] == {"caseworker": PEOPLE}
        by_unit = {
            f["unit_name"]: (f["people"], f["explanation"]["bracket"]["range"]) for f in calc["figures"]
        }
        county_name = calc["figures"][0]["unit_name"]
        assert calc["figures"][0]["unit_kind"] == "county"
        assert by_unit == {
            county_name: (4, "(3000, 5000]"),
            "甲镇": (2, "[0, 300]"),
            "乙镇": (4, "(300, 600)"),
            "丙镇": (6, "[600, inf)"),
            "丁街道": (6, "[600, inf)"),
        }
        assert all(f["explanation"]["citation"] == "seed 000 二(六)" for f in calc["figures"])
        scenario = await w.call(
            "POST",
            "/api/staffing/scenarios",
            bureau,
            json={"division_code": COUNTY_CODE, "name": "海丰县经办服务人员测算 2019", "inputs": staffing},
            expect=201,
        )
        w.trail.append(("staffing", f"scenarios/{scenario['id']}"))

        # 2. The budget: 50,000 a year each, +5% a year if qualified; working funds 3% of dibao spending.
        budget_req = {
            "division_code": COUNTY_CODE,
            "start": "2019-07-01",
            "county": COUNTY,
            "dibao_spending_last_year": DIBAO_2018,
            "funding": [
                {"source": "working_funds", "annual_amount": WORKING_FUNDS, "document": "海民〔2019〕12号"}
            ],
        }
        budget = await w.call("POST", "/api/staffing/calculations/budget", finance, json=budget_req)
        wf = budget["working_funds"]
        assert (
            wf["amount"] == WORKING_FUNDS
            and wf["rate"] == "0.03"
            and "四舍五入到分" in wf["step"]["rounding"]
        )
        # Everyone qualified (the default): 22 × 50,000; × 1.05; × 1.05².
        assert [y["cost"] for y in budget["years"]] == ["1100000.00", "1155000.00", "1212750.00"]
        assert budget["total_cost"] == "3467750.00" and budget["fits"] is True

        # 3. Plan (three years of working funds) and an open tender with comprehensive scoring.
        line = {
            "funding_source": "working_funds",
            "amount": "3711111.12",  # 3 × 1,237,037.04
            "scope": "经办服务人员购买服务，三年合同期（seed 000 二(五)）",
        }
        plan = await w.plan(COUNTY_CODE, 2019, [line], "海丰县 2019 年度购买社会救助经办服务计划")
        project = {
            "plan_id": plan,
            "division_code": COUNTY_CODE,
            "title": "海丰县社会救助经办服务",
            "purchase_form": "service_contract",
            "items": ["AS10", "AS02"],
            "quantity": f"{PEOPLE} 名经办服务人员",
            "budget": budget["total_cost"],
            "funding_source": "working_funds",
            "declared_on": "2019-04-15",  # 三(一): plans drawn up 4/1–4/15
        }
        p = await w.call("POST", "/api/procurement/projects", bureau, json=project, expect=201)
        pid = p["id"]
        w.trail.append(("procurement", f"projects/{pid}"))
        await w.tr("projects", pid, "approved", finance)
        # Services: the price weight may not fall below 10% (财政部令第87号 55).
        low = await w.tr(
            "projects",
            pid,
            "announced",
            bureau,
            {"method": "open_tender", "scoring": {"price_weight": "5"}},
            expect=409,
        )
        assert low["code"] == "PRICE_WEIGHT_OUT_OF_RANGE"
        p = await w.tr(
            "projects", pid, "announced", bureau, {"method": "open_tender", "scoring": {"price_weight": "30"}}
        )
        assert p["method_details"]["method_zh"] == "公开招标"
        bidders = [
            (uscc("52", COUNTY_CODE, 301), "海丰县启航社会工作服务中心", False, "3300000.00"),
            (uscc("91", COUNTY_CODE, 302), "汕尾市民安社会服务有限公司", True, "3400000.00"),  # small: −10%
            (uscc("52", COUNTY_CODE, 303), "海丰县同心社工服务社", False, "3420000.00"),
        ]
        for code, name, small, price in bidders:
            await w.register(code, name, COUNTY_CODE, small=small)
            await w.bid(pid, code, COUNTY_CODE, price)
        await w.tr("projects", pid, "bidding_closed", bureau)
        await w.tr("projects", pid, "qualification_review", bureau)
        await w.qualify_all(pid, COUNTY_CODE)
        await w.tr("projects", pid, "scoring", bureau)
        bids = {
            b["uscc"]: b["id"] for b in await w.call("GET", f"/api/procurement/projects/{pid}/bids", bureau)
        }
        members = [{"id": "buyer", "expert": False}] + [
            {"id": f"expert{i}", "expert": True} for i in range(1, 5)
        ]
        marks = {  # technical and service marks out of 70 (100 − price weight)
            bidders[0][0]: ["65", "66", "67", "66", "66"],
            bidders[1][0]: ["58", "58", "58", "58", "58"],
            bidders[2][0]: ["62", "61", "63", "62", "62"],
        }
        scores = [
            {"bid_id": bids[code], "member_id": m["id"], "score": mark}
            for code, row in marks.items()
            for m, mark in zip(members, row, strict=True)
        ]
        ranking = await w.call(
            "POST",
            f"/api/procurement/projects/{pid}/scoring",
            bureau,
            json={"members": members, "scores": scores},
        )
        # Base price = lowest evaluated price (the small enterprise's 3,400,000 × 0.9); price score =
        # base / price × 30; the winner is the best total, not the lowest price.
        assert ranking["base_price"] == "3060000.00"
        rows = {r["uscc"]: r for r in ranking["ranking"]}
        a, b, c = (rows[code] for code, *_ in bidders)
        assert (b["evaluated_price"], b["price_score"], b["total"]) == ("3060000.00", "30.00", "88.00")
        assert (a["price_score"], a["panel_score"], a["total"], a["rank"]) == ("27.82", "66.00", "93.82", 1)
        assert (c["price_score"], c["total"], c["rank"]) == ("26.84", "88.84", 2)
        assert b["rank"] == 3
        assert ranking == await w.call("GET", f"/api/procurement/projects/{pid}/ranking", bureau)
        p = await w.tr("projects", pid, "awarded", bureau)
        winner = bidders[0][0]
        assert p["awarded_uscc"] == winner and p["awarded_amount"] == "3300000.00"

        # 4. A three-year contract needs its reason stated (财政部令第102号 24; seed 000 二(七)).
        contract = {
            "subject": "社会救助经办服务",
            "service_standards": "对象排查、家计调查、业务培训，统一配备、统一管理、乡镇使用（seed 000 二(六)）",
            "quantity": f"{PEOPLE} 名经办服务人员",
            "term_start": "2019-07-01",
            "term_end": "2022-06-30",
            "payment_method": "按年度考核结果分年支付",
            "payment_schedule": [
                {"period": f"Y{k}", "amount": "1100000.00", "due_on": f"{2019 + k}-06-30"} for k in (1, 2, 3)
            ],
            "breach_liability": "按合同约定承担违约责任",
            "dispute_resolution": "向汕尾仲裁委员会申请仲裁",
            "takeover_plan": "承接主体退出时由县民政局临时接管经办服务并重新采购",
            "deadlines": [
                {
                    "key": "staff_hired",
                    "name": "完成经办服务人员招聘",
                    "working_days": 20,
                    "citation": "seed 000 三(二)",
                }
            ],
        }
        no_reason = await w.call(
            "POST", f"/api/procurement/projects/{pid}/contract", bureau, json=contract, expect=409
        )
        assert no_reason["code"] == "CONTRACT_TERM_TOO_LONG"
        contract["term_reason"] = "经办服务稳定连续、工作经费有保障，合同一般三年一签（seed 000 二(七)）"
        drafted = await w.call(
            "POST", f"/api/procurement/projects/{pid}/contract", bureau, json=contract, expect=201
        )
        cid = drafted["id"]
        w.trail.append(("procurement", f"contracts/{cid}"))
        await w.tr("projects", pid, "contract_signed", bureau)
        await w.tr("projects", pid, "performance_supervision", bureau)
        signed = await w.call("GET", f"/api/procurement/contracts/{cid}", bureau)
        assert signed["status"] == "signed" and signed["term_reason"] == contract["term_reason"]
        assert (
            signed["deadlines"][0]["due_on"]
            == (await w.working_day(date.fromisoformat(signed["signed_on"]), 20)).isoformat()
        )

        # 5. Annual assessments (四(三)): two caseworkers fail the first year, everyone passes the second.
        for year in (2019, 2020):
            for n in range(1, PEOPLE + 1):
                fails = year == 2019 and n > PEOPLE - 2
                body = {
                    "contract_id": cid,
                    "staff_ref": f"cw-{n:02d}",
                    "division_code": COUNTY_CODE,
                    "year": year,
                    "values": STAFF_POOR if fails else STAFF_GOOD,
                    "evidence": [{"kind": "record", "title": f"{year} 年度考核表"}],
                }
                await w.call("POST", "/api/evaluation/staff-assessments", bureau, json=body, expect=201)
        outcomes = await w.call(
            "GET",
            "/api/evaluation/staff-assessments/outcomes",
            ("auditor", CITY),
            params={"contract_id": cid},
        )
        assessments = [
            [
                "qualified" if y["qualified"] else "unqualified"
                for s in outcomes["staff"]
                for y in s["years"]
                if y["year"] == year
            ]
            for year in (2019, 2020)
        ]
        assert [a.count("unqualified") for a in assessments] == [2, 0]

        # 6. Re-projected: 20 raised to 52,500 then 55,125; the 2 replaced start again at 50,000, then 52,500.
        again = await w.call(
            "POST",
            "/api/staffing/calculations/budget",
            finance,
            json={**budget_req, "assessments": assessments},
        )
        assert [y["cost"] for y in again["years"]] == ["1100000.00", "1150000.00", "1207500.00"]
        assert again["total_cost"] == "3457500.00" and again["fits"] is True
        assert again["funding_totals"] == {"working_funds": "3457500.00"}
        y2 = again["years"][1]["positions"]
        assert y2[0]["pay"] == "52500.00" and y2[-1]["pay"] == "50000.00"
        assert y2[-1]["basis"].startswith("上年考核不合格")
        assert again["years"][2]["positions"][-1]["pay"] == "52500.00"
        # The same projection without typing the outcomes: staffing reads the contract's assessments
        # from evaluation itself (issue 16: pay progression from the real assessment history).
        read = await w.call(
            "POST", "/api/staffing/calculations/budget", finance, json={**budget_req, "contract_id": cid}
        )
        assert [y["cost"] for y in read["years"]] == [y["cost"] for y in again["years"]]
        assert read["notes"][:2] == [
            "2019年度考核取自评价服务：22人考核，2人不合格",
            "2020年度考核取自评价服务：22人考核，0人不合格",
        ]

        # 7. The county reports to the city: required vs actual staff, pay level, documents (三).
        actual = [
            {"unit_name": name, "role": "caseworker", "people": people}
            for name, (people, _) in by_unit.items()
        ]
        report = {
            "year": 2019,
            "on": "2019-06-01",
            "county": COUNTY,
            "actual": actual,
            "pay_level": "50000.00",
            "contract_ref": cid,
            "working_funds_document": "海民〔2019〕12号",
            "trainings_held": 2,
        }
        await w.call("POST", "/api/staffing/compliance/reports", bureau, json=report, expect=201)
        seen = await w.call("GET", f"/api/staffing/compliance/reports/{COUNTY_CODE}/2019", ("auditor", CITY))
        assert (seen["required"], seen["actual"], seen["gap"]) == (PEOPLE, PEOPLE, 0)
        assert seen["pay"]["ok"] is True and seen["documents"]["ok"] is True

        # 8. Every aggregate the story touched has a hash chain that verifies.
        chains = await w.verify_trail(("auditor", CITY))
        assert chains[f"procurement/projects/{pid}"] >= 10
        kinds = await every_chain(database_url)
        assert kinds["evaluation"]["staff_assessment"] == 2 * PEOPLE
        assert kinds["staffing"]["compliance_report"] == 1
