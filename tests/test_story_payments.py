"""Money on the contract's terms, through the gateway, across procurement and evaluation.

Lingwu (seed 002) pays the dispatch company after signing, as the contract agrees (灵政办发〔2018〕201号
五(四)), then every half year on the published evaluation (六(二)), scaled by its grade as the
contract states: 优秀 and 良好 in full, 合格 90%, 不合格 withheld with the takeover plan to consider;
finance pays part of a withheld half-year with a reason that stays in the payment's audit chain.

A small enterprise is paid within 30 days of acceptance; its contract may agree up to 60 days and
no more (保障中小企业款项支付条例, 国务院令第728号 from 2020-09-01, revised by 国务院令第802号 from
2025-06-01); a payment past its due date is listed for the purchaser and those above it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from jiuzhu_devtools.testing import LiveStack, test_today
from tests.stories import GOOD_SHEET, POOR_SHEET, TOWNSHIP_SHEET, Walk, every_chain, story, uscc
from tests.test_story_lingwu import _half_year_round

LINGWU = "640181"  # 灵武市
CITY = "640100"  # 银川市
CHONGXING = "640181100"  # 崇兴镇
HALF = "243360.00"  # 13 × 2 × 1,560 × 6: one half-year of the 13 verifiers
BUDGET = "1460160.00"  # the advance and five half-years
SCALE = [
    {"grade": "优秀", "ratio": "1.00"},
    {"grade": "良好", "ratio": "1.00"},
    {"grade": "合格", "ratio": "0.90"},
    {"grade": "不合格", "ratio": "0"},
]
TAKEOVER = "派遣公司不能履约时由市民政局临时接管入户核查工作并重新组织采购"


async def _awarded(w: Walk, div: str, company: str, price: str, project: dict[str, Any]) -> str:
    """A plan, a project bought by single source from `company` at `price`, awarded."""
    bureau, finance = ("bureau", div), ("finance", div)
    line = {"funding_source": "assistance_subsidy_funds", "amount": price, "scope": project["title"]}
    year = int(project.get("declared_on", test_today().isoformat())[:4])
    plan = await w.plan(div, year, [line], f"{year} 年度购买社会救助服务计划")
    body = {
        "plan_id": plan,
        "division_code": div,
        "budget": price,
        "funding_source": "assistance_subsidy_funds",
    }
    p = await w.call("POST", "/api/procurement/projects", bureau, json={**body, **project}, expect=201)
    pid = str(p["id"])
    w.trail.append(("procurement", f"projects/{pid}"))
    await w.tr("projects", pid, "approved", finance)
    ann = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}
    await w.tr("projects", pid, "announced", ("bureau", div), ann)
    bid = await w.bid(pid, company, div, price)
    await w.tr("projects", pid, "bidding_closed", ("bureau", div))
    await w.tr("projects", pid, "qualification_review", ("bureau", div))
    await w.qualify_all(pid, div)
    await w.tr("projects", pid, "scoring", ("bureau", div))
    scoring = {
        "members": [{"id": "e1", "expert": True}],
        "scores": [{"bid_id": bid["id"], "member_id": "e1", "score": "66"}],
    }
    await w.call("POST", f"/api/procurement/projects/{pid}/scoring", ("bureau", div), json=scoring)
    p = await w.tr("projects", pid, "awarded", ("bureau", div))
    assert p["awarded_uscc"] == company and p["awarded_amount"] == price
    return pid


def contract_body(schedule: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "subject": "社会救助入户核查员劳务派遣服务",
        "service_standards": "专职专责从事入户核查，每半年接受评估",
        "quantity": "13 名入户核查员",
        "term_start": "2019-01-01",
        "term_end": "2021-12-31",
        "term_reason": "购买周期三年（灵政办发〔2018〕201号 四(七)），服务连续、经费稳定",
        "payment_method": "合同签订后拨付首期经费（五(四)），其后按半年度评估等级拨付（六(二)）",
        "payment_schedule": schedule,
        "breach_liability": "按合同约定追究违约责任",
        "dispute_resolution": "协商不成向灵武市人民法院起诉",
        "other_parties": [{"role": "township", "name": "崇兴镇人民政府", "division_code": CHONGXING}],
        "takeover_plan": TAKEOVER,
        **extra,
    }


def pays(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["period"]: p for p in c["payments"]}


async def test_lingwu_paid_on_signing_then_by_half_year_grades(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        bureau, finance, auditor = ("bureau", LINGWU), ("finance", LINGWU), ("auditor", LINGWU)
        company = uscc("91", LINGWU, 301)
        await w.register(company, "灵武市国有劳务派遣有限公司", LINGWU)
        project = {
            "title": "灵武市社会救助入户核查员劳务派遣",
            "purchase_form": "labour_dispatch",
            "items": ["AS09"],
            "quantity": "13 名入户核查员",
            "declared_on": "2018-11-21",
        }
        pid = await _awarded(w, LINGWU, company, BUDGET, project)

        # The contract: an advance on signing (五(四)), then five half-years scaled by grade (六(二)).
        periods = ["2019-H1", "2019-H2", "2020-H1", "2020-H2", "2021-H1"]
        schedule = [
            {"period": "advance", "amount": HALF, "due_on": "2018-12-14", "gate": "on_signing"},
            *[
                {
                    "period": p,
                    "amount": HALF,
                    "due_on": f"{p[:4]}-{'06' if p.endswith('1') else '12'}-28",
                    "scale_by_grade": True,
                }
                for p in periods
            ],
        ]
        c = await w.call(
            "POST",
            f"/api/procurement/projects/{pid}/contract",
            bureau,
            json=contract_body(schedule, grade_scale=SCALE),
            expect=201,
        )
        cid = c["id"]
        w.trail.append(("procurement", f"contracts/{cid}"))
        assert c["grade_scale"] == {"source": "contract", "ratios": SCALE, "citation": None}
        await w.tr("projects", pid, "contract_signed", bureau)

        # Paid after signing, before any evaluation: the gate is the signature.
        c = await w.call("POST", f"/api/procurement/contracts/{cid}/payments/advance/release", bureau)
        advance = pays(c)["advance"]
        assert (advance["status"], advance["amount"], advance["basis"]["gate"]) == (
            "released",
            HALF,
            "on_signing",
        )
        # A half-year waits for its published round: none yet.
        held = await w.call(
            "POST", f"/api/procurement/contracts/{cid}/payments/2019-H1/release", bureau, expect=409
        )
        assert held["code"] == "PAYMENT_NOT_RELEASABLE" and held["evaluation"]["reason"].startswith(
            "NO_ROUND"
        )
        await w.tr("projects", pid, "performance_supervision", bureau)
        template = await w.template_id()

        # 2019-H1: 92.86 优秀 → in full.
        h1 = await _half_year_round(
            w,
            cid,
            company,
            "2019-H1",
            template,
            (GOOD_SHEET, TOWNSHIP_SHEET),
            [(5, 5), (4, 5), (4, 4), (3, 4)],
        )
        assert (h1["result"]["total"], h1["result"]["grade"]) == ("92.86", "优秀")
        c = await w.call("POST", f"/api/procurement/contracts/{cid}/payments/2019-H1/release", finance)
        p = pays(c)["2019-H1"]
        assert (p["amount"], p["basis"]["scaled"]["ratio"], p["basis"]["round_id"]) == (
            HALF,
            "1.00",
            h1["id"],
        )

        # 2019-H2: the bureau and the township give full marks, the recipients are unhappy → 70.00 合格:
        # 90% of 243,360.00 = 219,024.00 (half-up to the fen).
        h2 = await _half_year_round(
            w, cid, company, "2019-H2", template, (GOOD_SHEET, GOOD_SHEET), [(1, 1), (1, 1), (1, 1), (1, 1)]
        )
        assert (h2["result"]["total"], h2["result"]["grade"], h2["result"]["passed"]) == (
            "70.00",
            "合格",
            True,
        )
        c = await w.call("POST", f"/api/procurement/contracts/{cid}/payments/2019-H2/release", finance)
        p = pays(c)["2019-H2"]
        assert (p["status"], p["amount"], p["scheduled_amount"]) == ("released", "219024.00", HALF)
        assert p["basis"]["scaled"] == {
            "grade": "合格",
            "ratio": "0.90",
            "scheduled_amount": HALF,
            "amount": "219024.00",
            "rounding": "ROUND_HALF_UP to 0.01",
            "citation": "合同约定",
        }

        # 2020-H1: 不合格 → withheld, and the refusal points at the takeover plan.
        h3 = await _half_year_round(
            w, cid, company, "2020-H1", template, (POOR_SHEET, POOR_SHEET), [(1, 2), (2, 1), (2, 2), (1, 1)]
        )
        assert h3["result"]["grade"] == "不合格"
        withheld = await w.call(
            "POST", f"/api/procurement/contracts/{cid}/payments/2020-H1/release", finance, expect=409
        )
        assert withheld["code"] == "PAYMENT_WITHHELD" and withheld["takeover_plan"] == TAKEOVER
        assert "临时接管预案" in withheld["detail"] and withheld["evaluation"]["round_id"] == h3["id"]
        # Finance pays the two months actually served, with its reason; never silently, never the bureau.
        part = {
            "override_gate": True,
            "override_amount": "81120.00",
            "reason": "按实际提供服务的两个月结算（局务会纪要 2020-07）",
        }
        refused = await w.call(
            "POST",
            f"/api/procurement/contracts/{cid}/payments/2020-H1/release",
            bureau,
            json=part,
            expect=403,
        )
        assert refused["code"] == "OVERRIDE_FINANCE_ONLY"
        c = await w.call(
            "POST", f"/api/procurement/contracts/{cid}/payments/2020-H1/release", finance, json=part
        )
        p = pays(c)["2020-H1"]
        assert (p["amount"], p["override"]["reason"], p["override"]["gate_waived"]) == (
            "81120.00",
            part["reason"],
            True,
        )
        events = await w.call("GET", f"/api/procurement/contracts/{cid}/payments/2020-H1/events", auditor)
        assert [(e["action"], e["reason"]) for e in events] == [("payment.release", part["reason"])]
        assert (
            events[0]["data"]["override"]["amount"] == "81120.00"
            and events[0]["actor"] == "user-finance-640181"
        )
        verified = await w.call(
            "GET", f"/api/procurement/contracts/{cid}/payments/2020-H1/events/verify", auditor
        )
        assert verified["ok"] is True

        # What was released: 243,360 + 243,360 + 219,024 + 81,120.
        c = await w.call("GET", f"/api/procurement/contracts/{cid}", bureau)
        released = [p for p in c["payments"] if p["status"] == "released"]
        assert sum(Decimal(p["amount"]) for p in released) == Decimal("786864.00")
        # 2020-H2 has no round and is past its date: the city sees it overdue.
        late = await w.call(
            "GET",
            "/api/procurement/contracts/overdue-payments",
            ("finance", CITY),
            params={"on": "2021-01-01", "limit": "20"},
        )
        assert [(x["period"], x["days_overdue"], x["gate"]) for x in late["items"]] == [
            ("2020-H2", 4, "evaluation")
        ]
        # The dashboard's counts, under the lists' own filters (every filter the lists take).
        released_days = sorted(p["released_on"] for p in released)
        pays_by_status = await w.call(
            "GET",
            "/api/procurement/payments/counts",
            ("finance", CITY),
            params={
                "division_code": c["division_code"],
                "status": "released",
                "contract_id": cid,
                "contractor_uscc": c["contractor_uscc"],
                "due_from": "2000-01-01",
                "due_to": "2099-12-31",
                "released_from": released_days[0],
                "released_to": released_days[-1],
            },
        )
        assert pays_by_status == {"total": len(released), "by_status": {"released": len(released)}}
        contracts_by_status = await w.call(
            "GET",
            "/api/procurement/contracts/counts",
            ("finance", CITY),
            params={
                "division_code": c["division_code"],
                "status": c["status"],
                "project_id": c["project_id"],
                "contractor_uscc": c["contractor_uscc"],
                "on": c["term_start"],
                "signed_from": c["signed_on"],
                "signed_to": c["signed_on"],
                "q": c["contractor_name"][:4],
            },
        )
        assert contracts_by_status == {"total": 1, "by_status": {c["status"]: 1}}
        other = await w.call(  # the same filters in another county
            "GET",
            "/api/procurement/contracts/counts",
            ("finance", CITY),
            params={
                "division_code": "440103",
                "status": c["status"],
                "project_id": c["project_id"],
                "contractor_uscc": c["contractor_uscc"],
                "on": c["term_start"],
                "signed_from": c["signed_on"],
                "signed_to": c["signed_on"],
                "q": c["contractor_name"][:4],
            },
        )
        assert other == {"total": 0, "by_status": {}}  # a filter never reaches past one's jurisdiction

        await w.verify_trail(auditor)
        kinds = await every_chain(database_url)
        assert kinds["procurement"]["payment"] == 4


async def test_a_small_enterprise_is_paid_within_30_days_of_acceptance(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        bureau, finance = ("bureau", LINGWU), ("finance", LINGWU)

        # The rules, public: nothing before 2020-09-01, 30 and 60 days from then (and from the revision).
        async def in_force(on: str) -> dict[str, Any]:
            r = await w.call(
                "GET", "/api/procurement/rules/in-force", None, params={"division_code": LINGWU, "on": on}
            )
            return {x["name"]: x for x in r["rules"]}

        assert "sme_payment_days_max" not in await in_force("2020-08-31")
        first = await in_force("2020-09-01")
        assert (first["sme_payment_days"]["value"], first["sme_payment_days_max"]["value"]) == (30, 60)
        assert first["sme_payment_days_max"]["citation"]["text"] == "国务院令第728号 第八条"
        assert (await in_force("2025-06-01"))["sme_payment_days_max"]["citation"][
            "text"
        ] == "国务院令第802号 第九条"

        company = uscc("91", LINGWU, 302)  # a small enterprise
        await w.register(company, "灵武市益民社会工作服务中心", LINGWU, small=True)
        project = {
            "title": "灵武市困难群众走访慰问服务",
            "purchase_form": "service_contract",
            "items": ["AS01"],
            "quantity": "1 项",
        }
        pid = await _awarded(w, LINGWU, company, "120000.00", project)
        today = test_today()
        schedule = [
            {"period": "2026-H2", "amount": "120000.00", "due_on": "2026-12-31", "gate": "acceptance"}
        ]
        body = {
            **contract_body(schedule),
            "subject": "困难群众走访慰问服务",
            "quantity": "1 项",
            "term_start": today.isoformat(),
            "term_end": (today + timedelta(days=200)).isoformat(),
            "term_reason": None,
            "other_parties": [],
        }
        # 61 days after acceptance is refused with the clause in force today.
        refused = await w.call(
            "POST",
            f"/api/procurement/projects/{pid}/contract",
            bureau,
            json={**body, "payment_days_after_acceptance": 61},
            expect=409,
        )
        assert refused["code"] == "PAYMENT_TERM_TOO_LONG" and "国务院令第802号 第九条" in refused["detail"]
        c = await w.call("POST", f"/api/procurement/projects/{pid}/contract", bureau, json=body, expect=201)
        cid = c["id"]
        w.trail.append(("procurement", f"contracts/{cid}"))
        assert c["payment_terms"]["small_enterprise"] is True
        await w.tr("projects", pid, "contract_signed", bureau)
        c = await w.call(
            "POST",
            f"/api/procurement/contracts/{cid}/payments/2026-H2/acceptance",
            bureau,
            json={"on": today.isoformat(), "note": "下半年服务经验收合格"},
        )
        due = today + timedelta(days=30)
        pay = pays(c)["2026-H2"]
        assert (pay["accepted_on"], pay["due_on"]) == (today.isoformat(), due.isoformat())
        # Overdue: not on the due day; the day after, for the purchaser and the city above it.
        on_due = await w.call(
            "GET", "/api/procurement/contracts/overdue-payments", bureau, params={"on": due.isoformat()}
        )
        assert on_due == {"items": [], "next_cursor": None}
        after = {"on": (due + timedelta(days=1)).isoformat()}
        for who in (bureau, ("auditor", CITY)):
            late = await w.call("GET", "/api/procurement/contracts/overdue-payments", who, params=after)
            assert [
                (x["contract_id"], x["days_overdue"], x["small_enterprise"], x["citation"])
                for x in late["items"]
            ] == [(cid, 1, True, "国务院令第802号 第九条")]
        c = await w.call("POST", f"/api/procurement/contracts/{cid}/payments/2026-H2/release", finance)
        assert pays(c)["2026-H2"]["status"] == "released"
        assert await w.call("GET", "/api/procurement/contracts/overdue-payments", bureau, params=after) == {
            "items": [],
            "next_cursor": None,
        }
        assert date.fromisoformat(pays(c)["2026-H2"]["released_on"]) == today
        await w.verify_trail(("auditor", LINGWU))
        assert (await every_chain(database_url))["procurement"]["payment"] == 1
        # A change to the signed contract (合同变更) with its reason, kept in the contract's history.
        amended = await w.call(
            "POST",
            f"/api/procurement/contracts/{cid}/amendments",
            bureau,
            json={"reason": "服务范围调整：新增郝家桥镇入户核查", "quantity": "11 个乡镇（街道）入户核查"},
        )
        assert amended["id"] == cid, amended
