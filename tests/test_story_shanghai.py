"""The whole story of seed 003 (Shanghai's implementing opinions), through the gateway.

徐汇区 buys a catalogue item (个案评估, DS12) by open tender. A losing bidder challenges within the
7 working days (政府采购法 52); the challenge is upheld and the project is re-scored; the new award
is challenged again, and while that challenge is open the contract cannot be signed (52–57). Once it
is dismissed and the window has run, the contract is signed, the service delivered, the final
evaluation weighs recipient satisfaction (seed 003 三(五)), and the results are public.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import asyncpg

from jiuzhu_devtools.testing import LiveStack, asyncpg_dsn, test_today
from tests.stories import EVIDENCE, GOOD_SHEET, TOWNSHIP_SHEET, Walk, every_chain, story, uscc

XUHUI = "310104"
STREET = "310104011"  # a street office of 徐汇区
PANEL = [{"id": "buyer", "expert": False}] + [{"id": f"expert{i}", "expert": True} for i in range(1, 5)]


async def _score(w: Walk, pid: str, marks: dict[str, str]) -> dict[str, object]:
    bids = {
        b["uscc"]: b["id"]
        for b in await w.call("GET", f"/api/procurement/projects/{pid}/bids", ("bureau", XUHUI))
    }
    scores = [
        {"bid_id": bids[code], "member_id": m["id"], "score": mark}
        for code, mark in marks.items()
        for m in PANEL
    ]
    return dict(
        await w.call(
            "POST",
            f"/api/procurement/projects/{pid}/scoring",
            ("bureau", XUHUI),
            json={"members": PANEL, "scores": scores},
        )
    )


async def _challenge(w: Walk, pid: str, code: str, grounds: str, expect: int = 201) -> dict[str, object]:
    return dict(
        await w.call(
            "POST",
            f"/api/procurement/projects/{pid}/challenges",
            ("contractor", XUHUI, code),
            json={"uscc": code, "grounds": grounds},
            expect=expect,
        )
    )


async def test_shanghai_catalogue_item_with_a_challenge(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        bureau, finance = ("bureau", XUHUI), ("finance", XUHUI)
        today = test_today()

        # 1. Every residents' committee has someone doing social assistance (seed 003 二).
        county = {
            "division_code": XUHUI,
            "townships": [
                {"name": "天平路街道", "kind": "street_office", "residents_committees": 20},
                {"name": "华泾镇", "residents_committees": 12, "villagers_committees": 3},
            ],
        }
        calc = await w.call(
            "POST", "/api/staffing/calculations/staffing", bureau, json={"on": "2019-01-01", "county": county}
        )
        assert calc["pack"]["id"] == "shanghai" and calc["totals"] == {"assistance_worker": 35}

        # 2. The catalogue is the basis of the purchase: case assessment is in it for a district; a
        # policy study is not for a street office; an unknown item is not at all.
        items = {i["code"]: i for i in await w.call("GET", "/api/procurement/catalogue", bureau)}
        assert items["DS12"]["name_zh"] == "个案评估" and "county" in items["DS12"]["levels"]
        check = {"purchase_form": "service_contract", "on": today.isoformat(), "division_code": XUHUI}
        ok = await w.call(
            "POST", "/api/procurement/catalogue/check", bureau, json={**check, "items": ["DS12"]}
        )
        assert ok["lawful"] is True
        street = await w.call(
            "POST",
            "/api/procurement/catalogue/check",
            bureau,
            json={**check, "division_code": STREET, "items": ["AS08"]},
        )
        assert [r["code"] for r in street["refusals"]] == ["LEVEL_NOT_ALLOWED"]
        unknown = await w.call(
            "POST", "/api/procurement/catalogue/check", bureau, json={**check, "items": ["XX99"]}
        )
        assert [r["code"] for r in unknown["refusals"]] == ["NOT_IN_CATALOGUE"]

        # 3. Plan, set-up reviewed by finance (三(五)1), open tender with three bidders.
        line = {"funding_source": "assistance_subsidy_funds", "amount": "3000000.00", "scope": "个案评估服务"}
        plan = await w.plan(XUHUI, today.year, [line], f"徐汇区 {today.year} 年度购买社会救助服务计划")
        body = {
            "plan_id": plan,
            "division_code": XUHUI,
            "title": "徐汇区社会救助个案评估服务",
            "items": ["DS12"],
            "quantity": "全年 600 个个案",
            "budget": "2950000.00",
            "funding_source": "assistance_subsidy_funds",
        }
        pid = (await w.call("POST", "/api/procurement/projects", bureau, json=body, expect=201))["id"]
        w.trail.append(("procurement", f"projects/{pid}"))
        await w.tr("projects", pid, "approved", finance)
        await w.tr(
            "projects", pid, "announced", bureau, {"method": "open_tender", "scoring": {"price_weight": "30"}}
        )
        a, b, c = (uscc("52", XUHUI, n) for n in (401, 402, 403))
        for code, name, price in (
            (a, "徐汇区乐群社工服务社", "2800000.00"),
            (b, "上海市益心社会工作事务所", "2900000.00"),
            (c, "上海浦江社会服务中心", "2700000.00"),
        ):
            await w.register(code, name, XUHUI)
            await w.bid(pid, code, XUHUI, price)
        await w.tr("projects", pid, "bidding_closed", bureau)
        await w.tr("projects", pid, "qualification_review", bureau)
        await w.qualify_all(pid, XUHUI)
        await w.tr("projects", pid, "scoring", bureau)
        first = await _score(w, pid, {a: "66", b: "60", c: "60"})
        assert first["winner_bid_id"] is not None
        p = await w.tr("projects", pid, "awarded", bureau)
        assert p["awarded_uscc"] == a
        # The challenge window: 7 working days from the award on the working-day calendar.
        assert date.fromisoformat(p["challenge_deadline"]) == await w.working_day(today, 7)
        draft = {
            "subject": "社会救助个案评估服务",
            "service_standards": "按《上海市政府购买社会救助服务项目目录》个案评估标准执行",
            "quantity": "全年 600 个个案",
            "term_start": today.isoformat(),
            "term_end": (today + timedelta(days=364)).isoformat(),
            "payment_method": "按季度考核后支付",
            "payment_schedule": [
                {"period": "Q1", "amount": "1400000.00", "due_on": (today + timedelta(days=90)).isoformat()},
                {"period": "Q2", "amount": "1400000.00", "due_on": (today + timedelta(days=180)).isoformat()},
            ],
            "breach_liability": "违约金为合同金额 5%",
            "dispute_resolution": "提交上海仲裁委员会仲裁",
            "takeover_plan": "承接主体退出时由区社区事务受理服务中心临时接管",
        }
        # The contract must state how disputes are resolved (三(五)2): a draft without it is malformed.
        partial = {k: v for k, v in draft.items() if k != "dispute_resolution"}
        await w.call("POST", f"/api/procurement/projects/{pid}/contract", bureau, json=partial, expect=422)
        first_contract = (
            await w.call("POST", f"/api/procurement/projects/{pid}/contract", bureau, json=draft, expect=201)
        )["id"]

        # 4. Only a bidder may challenge; C does, and is upheld: the award is reopened and re-scored.
        outsider = uscc("52", XUHUI, 499)
        await w.register(outsider, "未投标的社会组织", XUHUI)
        refused = await _challenge(w, pid, outsider, "评分不公正，要求复核", expect=409)
        assert refused["code"] == "NOT_A_BIDDER"
        ch1 = await _challenge(w, pid, c, "商务评分漏计本机构的三项同类业绩")
        listed = await w.call("GET", f"/api/procurement/projects/{pid}/challenges", bureau)
        assert [(x["id"], x["status"]) for x in listed] == [(ch1["id"], "open")]
        held = await w.tr("projects", pid, "contract_signed", bureau, expect=409)
        assert held["code"] == "AWARD_HELD"
        upheld = await w.tr("challenges", str(ch1["id"]), "upheld", bureau, reason="业绩漏计属实，重新评审")
        assert upheld["status"] == "upheld"
        await w.tr("projects", pid, "scoring", bureau, reason="质疑成立，重新评审（政府采购法 56）")
        assert (await w.call("GET", f"/api/procurement/contracts/{first_contract}", bureau, expect=404))[
            "code"
        ] == ("CONTRACT_NOT_FOUND")  # the draft for the old award is discarded
        second = await _score(w, pid, {a: "66", b: "60", c: "70"})
        rows = {r["uscc"]: r for r in second["ranking"]}
        assert rows[c]["rank"] == 1 and rows[c]["price_score"] == "30.00" and rows[c]["total"] == "100.00"
        p = await w.tr("projects", pid, "awarded", bureau)
        assert p["awarded_uscc"] == c and p["awarded_amount"] == "2700000.00"

        # 5. The former winner challenges the new award; while it is open nothing is signed.
        ch2 = await _challenge(w, pid, a, "重新评审程序违法，要求维持原成交结果")
        draft["payment_schedule"] = [
            {"period": "Q1", "amount": "1350000.00", "due_on": (today + timedelta(days=90)).isoformat()},
            {"period": "Q2", "amount": "1350000.00", "due_on": (today + timedelta(days=180)).isoformat()},
        ]
        cid = (
            await w.call("POST", f"/api/procurement/projects/{pid}/contract", bureau, json=draft, expect=201)
        )["id"]
        w.trail.append(("procurement", f"contracts/{cid}"))
        held = await w.tr("projects", pid, "contract_signed", bureau, expect=409)
        assert held["code"] == "AWARD_HELD" and "政府采购法 52" in held["detail"]
        await w.tr(
            "challenges", str(ch2["id"]), "dismissed", bureau, reason="重新评审系依质疑决定进行，程序合法"
        )
        # Seven working days pass (the clock is the only thing this test moves by hand): too late now.
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await conn.execute(
                "UPDATE procurement.project SET challenge_deadline = $2 WHERE id = $1::uuid",
                pid,
                today - timedelta(days=1),
            )
        finally:
            await conn.close()
        late = await _challenge(w, pid, b, "报价评分计算有误，要求复核", expect=409)
        assert late["code"] == "CHALLENGE_WINDOW_CLOSED"
        p = await w.tr("projects", pid, "contract_signed", bureau)
        assert p["status"] == "contract_signed"
        contract = await w.call("GET", f"/api/procurement/contracts/{cid}", bureau)
        assert (
            contract["status"] == "signed"
            and contract["contractor_uscc"] == c
            and contract["price"] == "2700000.00"
        )

        # 6. Delivery, then the final evaluation (三(五)4): purchaser, third party and recipients,
        # recipients answering through a portal.
        await w.tr("projects", pid, "performance_supervision", bureau)
        await w.tr("projects", pid, "final_evaluation", bureau)
        evaluator_sub = "evaluator-xuhui-third-party"
        dims = ["service_effectiveness", "project_management", "social_impact"]
        rnd = await w.call(
            "POST",
            "/api/evaluation/rounds",
            bureau,
            json={
                "contract_id": cid,
                "period_kind": "final",
                "period": "final",
                "contractor_uscc": c,
                "purchaser_division": XUHUI,
                "template_id": await w.template_id(),
                "parties": [
                    {"party": "purchaser", "weight": "40", "dimensions": dims},
                    {"party": "third_party", "weight": "30", "dimensions": dims, "scorer": evaluator_sub},
                    {"party": "recipients", "weight": "30", "dimensions": ["recipient_satisfaction"]},
                ],
            },
            expect=201,
        )
        rid = rnd["id"]
        assert rnd["contract_check"] == "matched"
        w.trail.append(("evaluation", f"rounds/{rid}"))
        sid = (await w.call("POST", "/api/evaluation/surveys", bureau, json={"round_id": rid}, expect=201))[
            "id"
        ]
        codes = (
            await w.call(
                "POST", f"/api/evaluation/surveys/{sid}/codes", bureau, json={"count": 5}, expect=201
            )
        )["codes"]
        answers = [(5, 5), (5, 4), (4, 4), (4, 5), (2, 3)]
        intake = await w.call(
            "POST",
            f"/api/evaluation/surveys/{sid}/responses/bulk",
            ("portal", "310000"),
            json={
                "responses": [
                    {"code": code, "answers": {"overall_satisfaction": o, "service_attitude": s}}
                    for code, (o, s) in zip(codes, answers, strict=True)
                ]
            },
        )
        assert intake == {"accepted": 5, "rejected": []}
        await w.call(
            "POST",
            f"/api/evaluation/rounds/{rid}/scores",
            bureau,
            json={"party": "purchaser", "values": GOOD_SHEET, "evidence": EVIDENCE},
            expect=201,
        )
        third = {"Authorization": f"Bearer {token('evaluator', XUHUI, sub=evaluator_sub)}"}
        other_firm = await w.client.post(
            f"/api/evaluation/rounds/{rid}/scores",
            json={"party": "third_party", "values": TOWNSHIP_SHEET, "evidence": EVIDENCE},
            headers={"Authorization": f"Bearer {token('evaluator', XUHUI, sub='evaluator-someone-else')}"},
        )
        assert other_firm.status_code == 404  # not the appointed third party: cannot even see the round
        r = await w.client.post(
            f"/api/evaluation/rounds/{rid}/scores",
            json={"party": "third_party", "values": TOWNSHIP_SHEET, "evidence": EVIDENCE},
            headers=third,
        )
        assert r.status_code == 201, r.text
        await w.call(
            "POST",
            f"/api/evaluation/rounds/{rid}/scores",
            bureau,
            json={"party": "recipients", "from_survey": True, "evidence": EVIDENCE},
            expect=201,
        )
        published = await w.call("POST", f"/api/evaluation/rounds/{rid}/publish", bureau)
        # recipients: 0.4 × 75 (mean 4.0) + 0.3 × 80 (mean 4.2) + 0.3 × 80 (8 of 10 satisfied) = 78.00;
        # total: 0.4 × 100 + 0.3 × 93.714… + 0.3 × 78 = 91.514… → 91.51.
        res = published["result"]
        assert res["by_party"] == {"purchaser": "100.00", "third_party": "93.71", "recipients": "78.00"}
        assert res["total"] == "91.51" and res["grade"] == "优秀"
        await w.tr("projects", pid, "closed", bureau)

        # 7. Published for everyone: the result, the contract (completed), the evaluation.
        results = await w.call("GET", "/api/public/procurement/results", None)
        mine = next(x for x in results["items"] if x["project_id"] == pid)
        assert mine["supplier_uscc"] == c and mine["amount"] == "2700000.00"
        contracts = await w.call("GET", "/api/public/procurement/contracts", None)
        assert next(x for x in contracts["items"] if x["contract_id"] == cid)["status"] == "completed"
        view = await w.call("GET", f"/api/evaluation/rounds/{rid}/publication", ("contractor", XUHUI, a))
        assert view["total"] == "91.51" and view["recipients"]["respondents"] == 5
        record = await w.call("GET", f"/api/procurement/ocds/records/{pid}", bureau)
        compiled = record["records"][0]["compiledRelease"]
        assert compiled["awards"][-1]["suppliers"][0]["id"].endswith(c)

        # 8. Every aggregate the story touched has a hash chain that verifies.
        chains = await w.verify_trail(("auditor", "310000"))
        assert chains[f"procurement/projects/{pid}"] >= 14
        kinds = await every_chain(database_url)
        assert kinds["procurement"]["challenge"] == 2 and kinds["evaluation"]["survey"] == 1
