"""The whole story of a contractor that fails (seed 001, 龙民〔2018〕170号 / 闽民保〔2018〕58号 一(七)).

新罗区 (龙岩) buys household means surveys from a social organisation. Its half-yearly evaluations
fail twice; evaluation suggests the 3-year bar of seed 001; procurement runs the due process
(report → the contractor's response → the finance department's decision, 政府采购法 77), after which
the contractor is on the public debarment list and can neither bid nor sign. Its contract is
terminated, the temporary takeover plan is activated and the re-procurement opens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from jiuzhu_devtools.testing import LiveStack, test_today
from tests.stories import EVIDENCE, POOR_SHEET, Walk, every_chain, story, uscc

XINLUO = "350802"  # 新罗区, 龙岩市
CITY = "350800"
CONSULT = {
    "method": "competitive_consultation",
    "ground": "purchased_services",
    "scoring": {"price_weight": "30"},
}
PANEL = [
    {"id": "buyer", "expert": False},
    {"id": "expert1", "expert": True},
    {"id": "expert2", "expert": True},
]
TAKEOVER_PLAN = (
    "承接主体退出或被解除合同时，由区民政局组织街道社会救助经办人员临时接管家计调查，并重新组织采购"
)


async def _buy(w: Walk, plan: str, title: str, bidders: list[tuple[str, str]], marks: dict[str, str]) -> str:
    """Declared → approved → consultation → bids → review → scoring → awarded (the first bidder wins)."""
    bureau = ("bureau", XINLUO)
    body = {
        "plan_id": plan,
        "division_code": XINLUO,
        "title": title,
        "items": ["AS02"],
        "quantity": "全年家计调查 3000 户",
        "budget": "900000.00",
        "funding_source": "assistance_subsidy_funds",
    }
    pid = str((await w.call("POST", "/api/procurement/projects", bureau, json=body, expect=201))["id"])
    w.trail.append(("procurement", f"projects/{pid}"))
    await w.tr("projects", pid, "approved", ("finance", XINLUO))
    await w.tr("projects", pid, "announced", bureau, CONSULT)
    for code, price in bidders:
        await w.bid(pid, code, XINLUO, price)
    await w.tr("projects", pid, "bidding_closed", bureau)
    await w.tr("projects", pid, "qualification_review", bureau)
    await w.qualify_all(pid, XINLUO)
    await w.tr("projects", pid, "scoring", bureau)
    bids = {b["uscc"]: b["id"] for b in await w.call("GET", f"/api/procurement/projects/{pid}/bids", bureau)}
    scores = [{"bid_id": bids[c], "member_id": m["id"], "score": s} for c, s in marks.items() for m in PANEL]
    await w.call(
        "POST", f"/api/procurement/projects/{pid}/scoring", bureau, json={"members": PANEL, "scores": scores}
    )
    p = await w.tr("projects", pid, "awarded", bureau)
    assert p["awarded_uscc"] == bidders[0][0]
    return pid


def _contract(periods: list[str], amount: str) -> dict[str, Any]:
    today = test_today()
    half = f"{int(amount.split('.')[0]) // 2}.00"
    return {
        "subject": "社会救助家计调查服务",
        "service_standards": "入户调查核实申请家庭收入和财产状况，按时提交调查报告",
        "quantity": "全年家计调查 3000 户",
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=364)).isoformat(),
        "payment_method": "每半年评估合格后拨付",
        "payment_schedule": [
            {"period": p, "amount": half, "due_on": (today + timedelta(days=180 * (i + 1))).isoformat()}
            for i, p in enumerate(periods)
        ],
        "breach_liability": "评估不合格的，暂缓拨付；情节严重的解除合同并记入信用记录（闽民保〔2018〕58号 一(七)）",
        "dispute_resolution": "向龙岩仲裁委员会申请仲裁",
        "takeover_plan": TAKEOVER_PLAN,
    }


async def _failing_round(w: Walk, cid: str, company: str, period: str, template: str) -> dict[str, Any]:
    bureau = ("bureau", XINLUO)
    rnd = await w.call(
        "POST",
        "/api/evaluation/rounds",
        bureau,
        json={
            "contract_id": cid,
            "period_kind": "half_yearly",
            "period": period,
            "contractor_uscc": company,
            "purchaser_division": XINLUO,
            "template_id": template,
            # Weighted towards recipient satisfaction (闽民保〔2018〕58号 一(六)).
            "parties": [
                {
                    "party": "purchaser",
                    "weight": "50",
                    "dimensions": ["service_effectiveness", "project_management", "social_impact"],
                },
                {"party": "recipients", "weight": "50", "dimensions": ["recipient_satisfaction"]},
            ],
        },
        expect=201,
    )
    rid = rnd["id"]
    w.trail.append(("evaluation", f"rounds/{rid}"))
    sid = (await w.call("POST", "/api/evaluation/surveys", bureau, json={"round_id": rid}, expect=201))["id"]
    codes = (
        await w.call("POST", f"/api/evaluation/surveys/{sid}/codes", bureau, json={"count": 3}, expect=201)
    )["codes"]
    for code, (o, s) in zip(
        codes, [(1, 2), (2, 2), (2, 1)], strict=True
    ):  # recipients through the e龙岩 portal
        await w.answer_anonymously(sid, code, {"overall_satisfaction": o, "service_attitude": s})
    await w.call(
        "POST",
        f"/api/evaluation/rounds/{rid}/scores",
        bureau,
        json={"party": "purchaser", "values": POOR_SHEET, "evidence": EVIDENCE},
        expect=201,
    )
    await w.call(
        "POST",
        f"/api/evaluation/rounds/{rid}/scores",
        bureau,
        json={"party": "recipients", "from_survey": True, "evidence": EVIDENCE},
        expect=201,
    )
    published = await w.call("POST", f"/api/evaluation/rounds/{rid}/publish", bureau)
    assert published["result"]["passed"] is False and published["result"]["grade"] == "不合格"
    return dict(published)


async def test_failing_contractor_is_debarred_and_its_contract_taken_over(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        bureau, finance = ("bureau", XINLUO), ("finance", XINLUO)
        today = test_today()

        failing, steady = uscc("52", XINLUO, 501), uscc("52", XINLUO, 502)
        await w.register(failing, "新罗区某社会工作服务中心", XINLUO)
        await w.register(steady, "龙岩市连心社会工作服务社", XINLUO)
        # The plan covers exactly the two purchases: the re-procurement after the takeover must fit in
        # what the failed contract left unspent (nothing was paid under it).
        line = {
            "funding_source": "assistance_subsidy_funds",
            "amount": "1800000.00",
            "scope": "家计调查等经办服务",
        }
        plan = await w.plan(XINLUO, today.year, [line], f"新罗区 {today.year} 年度购买社会救助服务计划")

        # 1. Two purchases won by the same contractor: A is signed and delivered; B awaits signing.
        pid = await _buy(
            w,
            plan,
            "新罗区家计调查服务",
            [(failing, "850000.00"), (steady, "880000.00")],
            {failing: "66", steady: "60"},
        )
        periods = [f"{today.year}-H2", f"{today.year + 1}-H1"]
        cid = (
            await w.call(
                "POST",
                f"/api/procurement/projects/{pid}/contract",
                bureau,
                json=_contract(periods, "850000.00"),
                expect=201,
            )
        )["id"]
        w.trail.append(("procurement", f"contracts/{cid}"))
        await w.tr("projects", pid, "contract_signed", bureau)
        await w.tr("projects", pid, "performance_supervision", bureau)
        pid_b = await _buy(
            w,
            plan,
            "新罗区低保对象排查服务",
            [(failing, "860000.00"), (steady, "870000.00")],
            {failing: "65", steady: "60"},
        )
        cid_b = (
            await w.call(
                "POST",
                f"/api/procurement/projects/{pid_b}/contract",
                bureau,
                json=_contract(["B-H1", "B-H2"], "860000.00"),
                expect=201,
            )
        )["id"]
        w.trail.append(("procurement", f"contracts/{cid_b}"))

        # 2. The first half-year fails; the contractor appeals, the appeal is dismissed; payment held.
        template = await w.template_id()
        first = await _failing_round(w, cid, failing, periods[0], template)
        appeal = await w.call(
            "POST",
            f"/api/evaluation/rounds/{first['id']}/appeals",
            ("contractor", XINLUO, failing),
            json={"reason": "调查户数统计口径有误"},
            expect=201,
        )
        pending = await w.call(
            "GET",
            "/api/evaluation/consequences/payment-release",
            finance,
            params={"contract_id": cid, "period": periods[0]},
        )
        assert pending["released"] is False and pending["reason"].startswith("APPEAL_PENDING")
        await w.call(
            "POST",
            f"/api/evaluation/rounds/{first['id']}/appeals/{appeal['id']}/decision",
            bureau,
            json={"decision": "dismissed", "reason": "统计口径与合同约定一致"},
        )
        held = await w.call(
            "POST", f"/api/procurement/contracts/{cid}/payments/{periods[0]}/release", bureau, expect=409
        )
        assert held["code"] == "PAYMENT_NOT_RELEASABLE" and held["evaluation"]["reason"].startswith("FAILED")
        one = await w.call("GET", f"/api/evaluation/consequences/debarment-suggestion/{failing}", bureau)
        assert one["suggested"] is True and one["suggested_years"] == 1

        # 3. The second half-year fails too: evaluation suggests the 3-year bar of seed 001 一(七).
        await _failing_round(w, cid, failing, periods[1], template)
        suggestion = await w.call(
            "GET", f"/api/evaluation/consequences/debarment-suggestion/{failing}", bureau
        )
        assert suggestion["suggested"] is True and suggestion["suggested_years"] == 3
        assert len(suggestion["failing_results"]) == 2
        assert any("seed 001" in b for b in suggestion["basis"])
        clean = await w.call("GET", f"/api/evaluation/consequences/debarment-suggestion/{steady}", bureau)
        assert clean["suggested"] is False

        # 4. Due process in procurement: report, the contractor's response, the finance decision.
        case = await w.call(
            "POST",
            f"/api/procurement/contractors/{failing}/debarments",
            bureau,
            json={
                "grounds": f"合同 {cid} 连续两次半年评估不合格并经公示：{suggestion['reason']}",
                "response_working_days": 5,
            },
            expect=201,
        )
        did = case["id"]
        w.trail.append(("procurement", f"debarments/{did}"))
        assert case["status"] == "reported"
        assert date.fromisoformat(case["response_due_on"]) == await w.working_day(
            date.fromisoformat(case["reported_on"]), 5
        )
        decide = {"term_years": suggestion["suggested_years"], "fine_amount": "4250.00"}  # 0.5% of 850,000
        early = await w.tr(
            "debarments", did, "debarred", finance, decide, reason="评估连续不合格", expect=409
        )
        assert early["code"] == "RESPONSE_PERIOD_OPEN"
        # Only the contractor concerned answers; the bureau does not decide (the finance department does).
        await w.tr(
            "debarments", did, "responded", ("contractor", XINLUO, steady), {"response": "x"}, expect=403
        )
        await w.tr(
            "debarments",
            did,
            "responded",
            ("contractor", XINLUO, failing),
            {"response": "人员流失导致服务中断，已整改"},
        )
        await w.tr("debarments", did, "debarred", bureau, decide, reason="评估连续不合格", expect=403)
        d = await w.tr(
            "debarments",
            did,
            "debarred",
            finance,
            decide,
            reason="连续两次评估不合格，情节严重（政府采购法 77）",
        )
        start = date.fromisoformat(d["effective_from"])
        assert d["status"] == "debarred" and d["term_years"] == 3 and d["fine_amount"] == "4250.00"
        assert d["effective_until"] == (start.replace(year=start.year + 3) - timedelta(days=1)).isoformat()

        # 5. On the public list (no token, personal data masked), and known nationwide.
        public = await w.call("GET", "/api/public/procurement/debarments", None)
        entry = next(x for x in public["items"] if x["uscc"] == failing)
        assert entry["term_years"] == 3 and entry["legal_representative"] == "张**"
        assert entry["effective_until"] == d["effective_until"]
        elsewhere = await w.call("GET", f"/api/procurement/contractors/{failing}", ("bureau", "440103"))
        assert elsewhere["debarred"] is True and elsewhere["debarred_until"] == d["effective_until"]

        # 6. It cannot sign: project B's award is lost and B is procured again.
        refused = await w.tr("projects", pid_b, "contract_signed", bureau, expect=409)
        assert refused["code"] == "CONTRACTOR_DEBARRED"
        b = await w.tr("projects", pid_b, "failed", bureau, reason="成交供应商被禁止参加政府采购")
        assert b["status"] == "failed"

        # 7. Contract A is terminated and the temporary takeover plan activated; re-procurement opens.
        await w.tr("projects", pid, "terminated", bureau, reason="连续两次评估不合格，解除合同（退出机制）")
        taken = await w.tr(
            "projects",
            pid,
            "taken_over",
            bureau,
            {"taken_over_by": "新罗区民政局"},
            reason="启动临时接管预案",
        )
        record = taken["outcome"]["taken_over"]
        assert record["by"] == "新罗区民政局" and record["plan"] == TAKEOVER_PLAN
        assert taken["outcome"]["terminated"]["reason"].startswith("连续两次评估不合格")
        contract = await w.call("GET", f"/api/procurement/contracts/{cid}", ("auditor", CITY))
        assert contract["status"] == "taken_over" and contract["takeover"]["by"] == "新罗区民政局"
        events = await w.call("GET", f"/api/procurement/contracts/{cid}/events", ("auditor", CITY))
        assert [e["action"] for e in events] == [
            "contract.drafted",
            "contract.signed",
            "contract.terminated",
            "contract.taken_over",
        ]
        again = record["reprocurement_project_id"]
        w.trail.append(("procurement", f"projects/{again}"))
        new = await w.call("GET", f"/api/procurement/projects/{again}", bureau)
        assert new["status"] == "declared" and new["replaces_project_id"] == pid and new["items"] == ["AS02"]

        # 8. It cannot bid in the re-procurement; others can. The taken-over project keeps only what
        # was paid under its contract (nothing), so the re-procurement fits in the plan.
        await w.tr("projects", again, "approved", finance)
        lines = (await w.call("GET", f"/api/procurement/plans/{plan}", finance))["budget_lines"]
        assert (lines[0]["committed"], lines[0]["remaining"]) == ("1800000.00", "0.00")  # B 900,000 + again
        await w.tr("projects", again, "announced", bureau, CONSULT)
        barred = await w.bid(again, failing, XINLUO, "800000.00", expect=409)
        assert barred["code"] == "CONTRACTOR_DEBARRED"
        await w.bid(again, steady, XINLUO, "870000.00")
        await w.tr("projects", pid, "closed", bureau)
        # In OCDS (public, no token) the taken-over process names its re-procurement, and back.
        taken_over, reprocured = [
            (await w.call("GET", f"/api/procurement/ocds/records/{x}", None))["records"][0]
            for x in (pid, again)
        ]
        links = [
            (r["relationship"], r["identifier"]) for r in taken_over["compiledRelease"]["relatedProcesses"]
        ]
        assert links == [(["replacementProcess"], reprocured["ocid"])]
        links = [
            (r["relationship"], r["identifier"]) for r in reprocured["compiledRelease"]["relatedProcesses"]
        ]
        assert links == [(["prior"], taken_over["ocid"])]

        # 9. Every aggregate the story touched has a hash chain that verifies.
        chains = await w.verify_trail(("auditor", CITY))
        assert chains[f"procurement/debarments/{did}"] == 3  # reported, responded, debarred
        kinds = await every_chain(database_url)
        assert kinds["evaluation"]["evaluation_round"] == 2 and kinds["evaluation"]["survey"] == 2
