"""The whole story of seed 002 (灵政办发〔2018〕201号), through the gateway, across all three services.

Lingwu buys 13 household verifiers from a state-owned labour-dispatch company: staffing-calc counts
them and prices them at 2 × the minimum wage, procurement plans and buys (lawful under the 2018
rules, refused under 财政部令第102号 from 2020), signs a tripartite contract and watches the
15-working-day dispatch deadline, evaluation runs the half-yearly rounds with the townships and the
recipients, procurement releases or holds each payment on evaluation's answer, and the year-end
staff assessments feed the budget's re-projection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from jiuzhu_devtools.seeds import LINGWU_COUNTY, LINGWU_PARTIES
from jiuzhu_devtools.testing import LiveStack, test_today
from tests.stories import (
    EVIDENCE,
    GOOD_SHEET,
    POOR_SHEET,
    STAFF_GOOD,
    STAFF_POOR,
    TOWNSHIP_SHEET,
    Walk,
    every_chain,
    story,
    uscc,
)

LINGWU = "640181"  # 灵武市
CITY = "640100"  # 银川市, above Lingwu
CHONGXING = "640181100"  # 崇兴镇, party to the tripartite agreement (四(二))
# Wages: 13 × 2 × 1,560 yuan (class-2 area, 2018 table) × 12 months, then 1,840 from 2021-09-01
# (四(五)); beside them, each its own part, what the dispatch company pays as employer — pension 20 %
# then 16 % from 2019-05-01, medical 6 % (6.5 % from 2020, maternity 0.5 % merged into it),
# unemployment 0.5 %, work injury 0.4 %, housing fund 5 % — and its fee (5 %, a placeholder): all
# unverified rates. A month costs 4,286.88 per person until April 2019, 4,162.08 then, 4,909.12 from
# September 2021 (3,680 × 1.334).
YEAR_WAGES = ["486720.00", "486720.00", "515840.00"]
YEAR_COSTS = ["655774.08", "649284.48", "688130.56"]
BUDGET = "1993189.12"
FIRST_HALF = "331131.84"  # 2019-H1: 13 × (4 × 4,286.88 + 2 × 4,162.08)
HALF = "324642.24"  # 13 × 6 × 4,162.08
LAST_HALF = "363488.32"  # 2021-H2: 13 × (2 × 4,162.08 + 4 × 4,909.12)


async def _half_year_round(
    w: Walk,
    cid: str,
    company: str,
    period: str,
    template: str,
    sheets: tuple[dict[str, str], dict[str, str]],
    answers: list[tuple[int, int]],
) -> dict[str, object]:
    """六(二): every half year the bureau, the township and the recipients evaluate the service."""
    bureau = ("bureau", LINGWU)
    rnd = await w.call(
        "POST",
        "/api/evaluation/rounds",
        bureau,
        json={
            "contract_id": cid,
            "period_kind": "half_yearly",
            "period": period,
            "contractor_uscc": company,
            "purchaser_division": LINGWU,
            "template_id": template,
            "parties": LINGWU_PARTIES,
        },
        expect=201,
    )
    assert rnd["contract_check"] == "matched"  # evaluation asked procurement about this very contract
    rid = rnd["id"]
    w.trail.append(("evaluation", f"rounds/{rid}"))
    survey = await w.call("POST", "/api/evaluation/surveys", bureau, json={"round_id": rid}, expect=201)
    assert {q["key"] for q in survey["questions"]} == {"overall_satisfaction", "service_attitude"}
    codes = (
        await w.call(
            "POST", f"/api/evaluation/surveys/{survey['id']}/codes", bureau, json={"count": 6}, expect=201
        )
    )["codes"]
    # The first recipient goes through the public survey page's routes: the code finds its survey
    # and questions, then the answer goes in with the code (the same intake as the portal's).
    anonymous = {"X-Forwarded-For": "203.0.113.77"}
    form = await w.client.post(
        "/api/public/evaluation/surveys/lookup", json={"code": codes[0]}, headers=anonymous
    )
    assert form.status_code == 200 and form.json()["survey_id"] == survey["id"], form.text
    first, *others = zip(codes, answers, strict=False)
    taken = await w.client.post(
        f"/api/public/evaluation/surveys/{survey['id']}/responses",
        json={
            "code": first[0],
            "answers": {"overall_satisfaction": first[1][0], "service_attitude": first[1][1]},
        },
        headers=anonymous,
    )
    assert taken.status_code == 201, taken.text
    for code, (overall, attitude) in others:
        await w.answer_anonymously(
            survey["id"], code, {"overall_satisfaction": overall, "service_attitude": attitude}
        )
    # A code answers once (the one-time code is the recipient's only credential).
    again = await w.answer_anonymously(survey["id"], codes[0], {"overall_satisfaction": 1}, expect=409)
    assert again["status"] == 409
    results = await w.call("GET", f"/api/evaluation/surveys/{survey['id']}/results", bureau)
    assert results["respondents"] == len(answers) and "responses" not in results  # aggregates only
    purchaser, township = sheets
    scores = [
        (bureau, {"party": "purchaser", "values": purchaser}),
        (("township", CHONGXING), {"party": "township", "values": township}),
        (bureau, {"party": "recipients", "from_survey": True}),
    ]
    for who, body in scores:
        await w.call(
            "POST",
            f"/api/evaluation/rounds/{rid}/scores",
            who,
            json={**body, "evidence": EVIDENCE},
            expect=201,
        )
    closed = await w.call("GET", f"/api/evaluation/rounds/{rid}", bureau)
    assert closed["status"] == "closed"  # all three parties in: it closed itself
    published = await w.call("POST", f"/api/evaluation/rounds/{rid}/publish", bureau)
    assert published["status"] == "published"
    public = await w.client.get(f"/api/public/evaluation/surveys/{survey['id']}/results")
    assert public.status_code == 200 and public.json()["respondents"] == len(answers), public.text
    # The recipients' score took the survey as it stood: an unused code can no longer answer, and the
    # published aggregates are the ones the score was computed from.
    late = await w.answer_anonymously(survey["id"], codes[-1], {"overall_satisfaction": 1}, expect=409)
    assert late["code"] == "SURVEY_CLOSED"
    view = await w.call("GET", f"/api/evaluation/rounds/{rid}/publication", ("contractor", LINGWU, company))
    assert view["recipients"]["respondents"] == len(answers) and view["total"] == published["result"]["total"]
    return dict(published)


async def test_lingwu_verifiers_from_budget_to_reprojection(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        bureau, finance = ("bureau", LINGWU), ("finance", LINGWU)

        # 1. Staffing-calc: 13 verifiers (2 for the street office, 崇兴镇 and 郝家桥镇, 1 elsewhere).
        staffing = {"on": "2018-11-21", "county": LINGWU_COUNTY}  # the day 灵政办发〔2018〕201号 took effect
        calc = await w.call("POST", "/api/staffing/calculations/staffing", bureau, json=staffing)
        assert calc["pack"]["id"] == "lingwu" and calc["totals"] == {"verifier": 13}
        two = {f["unit_name"] for f in calc["figures"] if f["people"] == 2}
        assert two == {"城区街道", "崇兴镇", "郝家桥镇"}
        assert all("灵政办发〔2018〕201号" in f["explanation"]["citation"] for f in calc["figures"])
        scenario = await w.call(
            "POST",
            "/api/staffing/scenarios",
            bureau,
            json={"division_code": LINGWU, "name": "灵武市入户核查员测算 2018", "inputs": staffing},
            expect=201,
        )
        assert scenario["result"]["totals"] == {"verifier": 13}
        w.trail.append(("staffing", f"scenarios/{scenario['id']}"))

        # Pay: 2 × Lingwu's minimum wage, month by month over the 3-year cycle.
        budget_req = {"division_code": LINGWU, "start": "2019-01-01", "county": LINGWU_COUNTY}
        budget = await w.call("POST", "/api/staffing/calculations/budget", finance, json=budget_req)
        assert [y["cost"] for y in budget["years"]] == YEAR_COSTS and budget["total_cost"] == BUDGET
        assert [y["parts"]["wages"] for y in budget["years"]] == YEAR_WAGES
        assert {p["pay"] for p in budget["years"][0]["positions"]} == {"37440.00"}  # 2 × 1,560 × 12
        assert any("1840" in s["reading_zh"] for s in budget["years"][2]["steps"])

        # 2. Procurement: an approved plan, the purchase declared when the plan took effect.
        line = {"funding_source": "assistance_subsidy_funds", "amount": BUDGET, "scope": "入户核查员劳务派遣"}
        plan18 = await w.plan(LINGWU, 2018, [line], "2018 年度购买社会救助服务计划")
        project = {
            "plan_id": plan18,
            "division_code": LINGWU,
            "title": "灵武市社会救助入户核查员劳务派遣",
            "purchase_form": "labour_dispatch",
            "items": ["AS09"],
            "quantity": "13 名入户核查员",
            "budget": BUDGET,
            "funding_source": "assistance_subsidy_funds",
            "declared_on": "2018-11-21",
        }
        p = await w.call("POST", "/api/procurement/projects", bureau, json=project, expect=201)
        pid = p["id"]
        w.trail.append(("procurement", f"projects/{pid}"))
        assert p["status"] == "declared"
        # The same purchase declared in 2021 is refused: labour dispatch is on the negative list from
        # 2020-03-01 (财政部令第102号 10).
        plan21 = await w.plan(LINGWU, 2021, [line], "2021 年度购买社会救助服务计划")
        refused = await w.call(
            "POST",
            "/api/procurement/projects",
            bureau,
            json={**project, "plan_id": plan21, "declared_on": "2021-09-01"},
            expect=409,
        )
        assert refused["code"] == "PURCHASE_NOT_ALLOWED"
        assert refused["refusals"][0]["code"] == "NEGATIVE_LIST"
        assert "财政部令第102号" in refused["refusals"][0]["citation"]

        # 3. Buy from the state-owned dispatch company the city designated (四(二)): single source.
        company = uscc("91", LINGWU, 201)
        await w.register(company, "灵武市国有劳务派遣有限公司", LINGWU)
        await w.tr("projects", pid, "approved", finance)
        ann = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}
        p = await w.tr("projects", pid, "announced", bureau, ann)
        assert p["method_details"]["ground_citation"] == "政府采购法 第三十一条第（一）项"
        bid = await w.bid(pid, company, LINGWU, BUDGET)
        await w.tr("projects", pid, "bidding_closed", bureau)
        await w.tr("projects", pid, "qualification_review", bureau)
        await w.qualify_all(pid, LINGWU)
        await w.tr("projects", pid, "scoring", bureau)
        await w.call(
            "POST",
            f"/api/procurement/projects/{pid}/scoring",
            bureau,
            json={
                "members": [{"id": "e1", "expert": True}],
                "scores": [{"bid_id": bid["id"], "member_id": "e1", "score": "66"}],
            },
        )
        p = await w.tr("projects", pid, "awarded", bureau)
        assert p["awarded_uscc"] == company and p["awarded_amount"] == BUDGET
        assert date.fromisoformat(p["challenge_deadline"]) == await w.working_day(test_today(), 7)

        # 4. A tripartite contract (bureau, township, company). Nobody types the dispatch deadline: the
        # rules in force for Lingwu hold it (15 working days, 五(五)); a later one is refused.
        schedule = [
            {"period": f"{y}-H{h}", "amount": HALF, "due_on": f"{y}-{6 * h:02d}-28"}
            for y in (2019, 2020, 2021)
            for h in (1, 2)
        ]
        schedule[0]["amount"], schedule[-1]["amount"] = FIRST_HALF, LAST_HALF
        contract = {
            "subject": "社会救助入户核查员劳务派遣服务",
            "service_standards": "专职专责从事入户核查，每半年接受评估",
            "quantity": "13 名入户核查员",
            "term_start": "2019-01-01",
            "term_end": "2021-12-31",
            "term_reason": "购买周期三年（灵政办发〔2018〕201号 四(七)），服务连续、经费稳定",
            "payment_method": "按半年度评估结果拨付（灵政办发〔2018〕201号 六(二)）",
            "payment_schedule": schedule,
            "breach_liability": "按合同约定追究违约责任",
            "dispute_resolution": "协商不成向灵武市人民法院起诉",
            "other_parties": [{"role": "township", "name": "崇兴镇人民政府", "division_code": CHONGXING}],
            "takeover_plan": "派遣公司不能履约时由市民政局临时接管入户核查工作并重新组织采购",
        }
        late = [{"key": "staff_dispatched", "name": "完成人员派遣", "working_days": 20}]
        r = await w.client.post(
            f"/api/procurement/projects/{pid}/contract",
            json={**contract, "deadlines": late},
            headers=w.h(*bureau),
        )
        assert (r.status_code, r.json()["code"]) == (409, "CONTRACT_DEADLINE_TOO_LATE")
        assert "灵政办发〔2018〕201号 五(五)" in r.json()["detail"]
        c = await w.call(
            "POST", f"/api/procurement/projects/{pid}/contract", bureau, json=contract, expect=201
        )
        cid = c["id"]
        w.trail.append(("procurement", f"contracts/{cid}"))
        assert [x["role"] for x in c["parties"]] == ["purchaser", "contractor", "township"]
        await w.tr("projects", pid, "contract_signed", bureau)
        c = await w.call("GET", f"/api/procurement/contracts/{cid}", bureau)
        assert c["status"] == "signed" and c["price"] == BUDGET and len(c["payments"]) == 6
        signed = date.fromisoformat(c["signed_on"])
        due = await w.working_day(signed, 15)
        (dispatch,) = c["deadlines"]
        assert (dispatch["key"], dispatch["working_days"], dispatch["citation"]) == (
            "staff_dispatched",
            15,
            "灵政办发〔2018〕201号 五(五)",
        )
        assert dispatch["due_on"] == due.isoformat()

        # The overdue list: nothing on the due day, the dispatch deadline the day after; the city sees it.
        on_due = await w.call(
            "GET", "/api/procurement/contracts/overdue-deadlines", bureau, params={"on": due.isoformat()}
        )
        assert on_due == {"items": [], "next_cursor": None}
        late = await w.call(
            "GET",
            "/api/procurement/contracts/overdue-deadlines",
            ("finance", CITY),
            params={"on": (due + timedelta(days=1)).isoformat(), "limit": "20"},
        )
        assert [(x["contract_id"], x["key"], x["days_overdue"]) for x in late["items"]] == [
            (cid, "staff_dispatched", 1)
        ]
        await w.call(
            "POST",
            f"/api/procurement/contracts/{cid}/deadlines/staff_dispatched/fulfil",
            bureau,
            json={"on": signed.isoformat()},  # a fulfilment date cannot be in the future
        )
        cleared = await w.call(
            "GET", "/api/procurement/contracts/overdue-deadlines", bureau, params={"on": "2030-01-01"}
        )
        assert cleared["items"] == []
        await w.tr("projects", pid, "performance_supervision", bureau)

        # 5. The first half-year passes: bureau 100, township 93.71, recipients 82.50 → 92.86 优秀.
        template = await w.template_id()
        h1 = await _half_year_round(
            w,
            cid,
            company,
            "2019-H1",
            template,
            (GOOD_SHEET, TOWNSHIP_SHEET),
            [(5, 5), (4, 5), (4, 4), (3, 4)],
        )
        assert h1["result"]["by_party"] == {"purchaser": "100.00", "township": "93.71", "recipients": "82.50"}
        assert h1["result"]["total"] == "92.86" and h1["result"]["grade"] == "优秀"
        # Procurement asks evaluation (forwarding the bureau's token) and releases the payment.
        await w.call("POST", f"/api/procurement/contracts/{cid}/payments/2019-H1/release", bureau)

        # 6. The second half-year fails: the payment is held.
        h2 = await _half_year_round(
            w, cid, company, "2019-H2", template, (POOR_SHEET, POOR_SHEET), [(1, 2), (2, 1), (2, 2), (1, 1)]
        )
        assert h2["result"]["passed"] is False and h2["result"]["grade"] == "不合格"
        held = await w.call(
            "POST", f"/api/procurement/contracts/{cid}/payments/2019-H2/release", bureau, expect=409
        )
        assert held["code"] == "PAYMENT_NOT_RELEASABLE" and held["evaluation"]["reason"].startswith("FAILED")
        c = await w.call("GET", f"/api/procurement/contracts/{cid}", bureau)
        status = {x["period"]: x["status"] for x in c["payments"]}
        assert status["2019-H1"] == "released" and status["2019-H2"] == "scheduled"
        basis = next(x for x in c["payments"] if x["period"] == "2019-H1")["basis"]
        assert basis["round_id"] == h1["id"] and basis["released"] is True

        # The schedule of rounds (evaluations_per_year: every half-year, 六(二)) shows both rounds
        # and, by mid-July 2020, the first half of 2020 that nobody evaluated.
        plan = await w.call(
            "GET",
            f"/api/evaluation/contracts/{cid}/evaluation-schedule",
            ("finance", CITY),
            params={"on": "2020-07-15"},
        )
        assert (plan["evaluations_per_year"], plan["basis"], plan["verified"]) == (
            2,
            "灵政办发〔2018〕201号 六(二)",
            True,
        )
        assert [
            (p["period"], p["status"], p["round_id"], p["grade"], p["days_overdue"]) for p in plan["periods"]
        ] == [
            ("2019-H1", "published", h1["id"], "优秀", None),
            ("2019-H2", "published", h2["id"], "不合格", None),
            ("2020-H1", "missing", None, None, 15),
            ("2020-H2", "running", None, None, None),
            ("2021-H1", "upcoming", None, None, None),
            ("2021-H2", "upcoming", None, None, None),
        ]
        other = await w.client.get(
            f"/api/evaluation/contracts/{cid}/evaluation-schedule", headers=w.h("bureau", "441521")
        )
        assert (other.status_code, other.json()["code"]) == (404, "CONTRACT_NOT_FOUND")

        # The county-wide list of missing rounds: every contract the caller may read in procurement,
        # each period that ended with no round, oldest first, a cursor page at a time. Lingwu's bureau
        # and the city's finance see the same 2020-H1; nothing is missing before the half-year ends.
        async def missing(who: tuple[str, ...], on: str, **params: str) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            cursor = None
            while True:
                q = {"on": on, "limit": "2", **params, **({"cursor": cursor} if cursor else {})}
                page = await w.call("GET", "/api/evaluation/contracts/missing-rounds", who, params=q)
                out += page["items"]
                cursor = page["next_cursor"]
                if cursor is None:
                    return [m for m in out if m["contract_id"] == cid]

        for who, params in ((bureau, {"division_code": LINGWU}), (("finance", CITY), {})):
            got = await missing(who, "2020-07-15", **params)
            assert [
                (m["period"], m["days_overdue"], m["ends_on"], m["basis"], m["contractor_uscc"]) for m in got
            ] == [("2020-H1", 15, "2020-06-30", "灵政办发〔2018〕201号 六(二)", company)]
        assert await missing(bureau, "2020-06-30") == []
        outside = await w.client.get(
            "/api/evaluation/contracts/missing-rounds",
            params={"division_code": LINGWU},
            headers=w.h("bureau", "441521"),
        )
        assert (outside.status_code, outside.json()["code"]) == (403, "JURISDICTION_FORBIDDEN")
        assert await missing(("bureau", "441521"), "2020-07-15") == []  # its own county: not Lingwu's
        refused = await w.client.get(
            "/api/evaluation/contracts/missing-rounds", headers=w.h("contractor", LINGWU, company)
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "ROLE_FORBIDDEN")

        # 7. Year-end staff assessments: 12 qualified, verifier-13 not (四(八): the company replaces them).
        for n in range(1, 14):
            body = {
                "contract_id": cid,
                "staff_ref": f"verifier-{n:02d}",
                "division_code": CHONGXING,
                "year": 2019,
                "values": STAFF_POOR if n == 13 else STAFF_GOOD,
                "evidence": [{"kind": "record", "title": "2019 年度考核表"}],
            }
            a = await w.call("POST", "/api/evaluation/staff-assessments", bureau, json=body, expect=201)
            assert a["qualified"] is (n != 13) and a["total"] == ("29.75" if n == 13 else "95.00")
        outcomes = await w.call(
            "GET", "/api/evaluation/staff-assessments/outcomes", finance, params={"contract_id": cid}
        )
        assert len(outcomes["staff"]) == 13
        renewal = await w.call(
            "GET",
            "/api/evaluation/staff-assessments/renewal",
            bureau,
            params={"contract_id": cid, "staff_ref": "verifier-13"},
        )
        assert renewal["continue_next_year"] is False

        # 8. Re-project the budget with those outcomes: pay is the wage rule, so the cost stands and
        # the replacement is noted.
        year1 = [
            "qualified" if y["qualified"] else "unqualified" for s in outcomes["staff"] for y in s["years"]
        ]
        assert year1.count("unqualified") == 1
        again = await w.call(
            "POST", "/api/staffing/calculations/budget", finance, json={**budget_req, "assessments": [year1]}
        )
        assert [y["cost"] for y in again["years"]] == YEAR_COSTS
        assert any("1人上年考核不合格" in n and "灵政办发〔2018〕201号 四(八)" in n for n in again["notes"])

        # 9. Every aggregate the story touched has a hash chain that verifies.
        chains = await w.verify_trail(("auditor", LINGWU))
        events = await w.call("GET", f"/api/procurement/contracts/{cid}/events", ("auditor", LINGWU))
        assert [e["action"] for e in events] == [
            "contract.drafted",
            "contract.signed",
            "contract.deadline_fulfilled",
        ]
        assert chains[f"procurement/contracts/{cid}"] == 3
        assert chains[f"evaluation/rounds/{h1['id']}"] >= 6
        # ...and so does every other chain the story wrote, e.g. the released payment and the surveys.
        kinds = await every_chain(database_url)
        assert kinds["procurement"]["payment"] == 1 and kinds["evaluation"]["survey"] == 2
        assert kinds["evaluation"]["staff_assessment"] == 13
