"""The legal clock of two purchases in 徐汇区, through the gateway, on the real 2026 calendar.

Each request carries the day it happens on (X-Jiuzhu-Clock, outside prod): the National Day week
(1–7 October off, Saturday 10 October worked) and Mid-Autumn (25–27 September off) fall inside the
periods. An open tender (20 days, 政府采购法 35) and a competitive consultation (10 days,
财库〔2014〕214号 10) are announced on 28 September: a shorter deadline is refused with its clause;
the consultation's deadline is extended (an audited amendment); bidding cannot close early. After
the awards the deadlines are on the projects, and the missed ones are listed per purchaser
(实施条例 43 and 50, 政府采购法 46). A losing bidder of the tender challenges the result; the
district answers late (53); the bidder complains to the district's finance (55), which suspends
the purchase (57: no signing meanwhile) and upholds the complaint: the tender is scored again (56).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from jiuzhu_devtools.testing import LiveStack
from tests.stories import Walk, every_chain, story, uscc

XUHUI = "310104"
BUREAU, FINANCE = ("bureau", XUHUI), ("finance", XUHUI)
PANEL5 = [{"id": "采购人代表", "expert": False}] + [{"id": f"专家{i}", "expert": True} for i in range(1, 5)]
PANEL3 = PANEL5[:3]


def day(d: str) -> str:
    return f"{d}T10:00:00+08:00"


def at(d: str) -> dict[str, str]:
    return {"X-Jiuzhu-Clock": day(d)}


def contract(price: str, subject: str) -> dict[str, Any]:
    return {
        "subject": subject,
        "service_standards": "按采购文件的服务标准执行",
        "quantity": "全年服务",
        "term_start": "2026-12-01",
        "term_end": "2027-11-30",
        "payment_method": "按年度考核后支付",
        "payment_schedule": [{"period": "Y1", "amount": price, "due_on": "2027-11-30"}],
        "breach_liability": "违约金为合同金额 5%",
        "dispute_resolution": "提交上海仲裁委员会仲裁",
        "takeover_plan": "承接主体退出时由区社区事务受理服务中心临时接管",
    }


async def _score(w: Walk, pid: str, panel: list[dict[str, Any]], marks: dict[str, str], on: str) -> None:
    bids = {b["uscc"]: b["id"] for b in await w.call("GET", f"/api/procurement/projects/{pid}/bids", BUREAU)}
    scores = [{"bid_id": bids[c], "member_id": m["id"], "score": v} for c, v in marks.items() for m in panel]
    await w.call(
        "POST",
        f"/api/procurement/projects/{pid}/scoring",
        BUREAU,
        json={"members": panel, "scores": scores},
        headers=at(on),
    )


async def _through_review(w: Walk, pid: str, on: str) -> None:
    await w.tr("projects", pid, "bidding_closed", BUREAU, at=day(on))
    await w.tr("projects", pid, "qualification_review", BUREAU, at=day(on))
    await w.qualify_all(pid, XUHUI)
    await w.tr("projects", pid, "scoring", BUREAU, at=day(on))


def deadlines(p: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {d["key"]: (d["due_on"], d["fulfilled_on"]) for d in p["deadlines"]}


async def test_an_open_tender_and_a_consultation_across_national_day(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        line = {"funding_source": "assistance_subsidy_funds", "amount": "5000000.00", "scope": "社会救助服务"}
        plan = await w.plan(XUHUI, 2026, [line], "徐汇区 2026 年度购买社会救助服务计划")
        projects = {}
        for key, title, items, budget in (
            ("tender", "徐汇区社会救助个案评估服务", ["DS12"], "2950000.00"),
            ("consult", "徐汇区家计调查服务", ["AS02"], "900000.00"),
        ):
            body = {
                "plan_id": plan,
                "division_code": XUHUI,
                "title": title,
                "items": items,
                "budget": budget,
                "funding_source": "assistance_subsidy_funds",
            }
            projects[key] = str(
                # Declared in September (on the story's clock, whatever the suite's own day is).
                (
                    await w.call(
                        "POST",
                        "/api/procurement/projects",
                        BUREAU,
                        json=body,
                        expect=201,
                        headers=at("2026-09-21"),
                    )
                )["id"]
            )
            w.trail.append(("procurement", f"projects/{projects[key]}"))
            await w.tr("projects", projects[key], "approved", FINANCE, at=day("2026-09-25"))
        tender, consult = projects["tender"], projects["consult"]

        # 1. Announced on Monday 28 September. The tender's 20 days end on Sunday 18 October: an
        # earlier deadline is refused with its clause; by default Monday the 19th. The consultation's
        # 10 days run through the National Day week all the same: 8 October at the earliest.
        open_tender = {"method": "open_tender", "scoring": {"price_weight": "30"}}
        refused = await w.tr(
            "projects",
            tender,
            "announced",
            BUREAU,
            {**open_tender, "response_deadline": "2026-10-17"},
            at=day("2026-09-28"),
            expect=409,
        )
        assert refused["code"] == "PERIOD_TOO_SHORT" and refused["earliest_deadline"] == "2026-10-18"
        assert "政府采购法 第三十五条" in refused["detail"]
        p = await w.tr("projects", tender, "announced", BUREAU, open_tender, at=day("2026-09-28"))
        assert (p["documents_issued_on"], p["response_deadline"]) == ("2026-09-28", "2026-10-19")
        consultation = {"method": "competitive_consultation", "ground": "purchased_services"}
        refused = await w.tr(
            "projects",
            consult,
            "announced",
            BUREAU,
            {**consultation, "response_deadline": "2026-10-07"},
            at=day("2026-09-28"),
            expect=409,
        )
        assert refused["code"] == "PERIOD_TOO_SHORT" and "财库〔2014〕214号 第十条" in refused["detail"]
        p = await w.tr("projects", consult, "announced", BUREAU, consultation, at=day("2026-09-28"))
        assert p["response_deadline"] == "2026-10-08"
        # The consultation documents are clarified on 30 September: the deadline moves to 12 October,
        # an amendment with its reason in the project's history; it never moves earlier.
        path = f"/api/procurement/projects/{consult}/response-deadline"
        ext = {"response_deadline": "2026-10-12", "reason": "磋商文件澄清，顺延首次响应文件截止之日"}
        p = await w.call("POST", path, BUREAU, json=ext, headers=at("2026-09-30"))
        assert p["response_deadline"] == "2026-10-12"
        back = await w.call(
            "POST",
            path,
            BUREAU,
            json={**ext, "response_deadline": "2026-10-09"},
            headers=at("2026-09-30"),
            expect=409,
        )
        assert back["code"] == "DEADLINE_NOT_LATER"

        # 2. Suppliers bid on 9 October. The documents could be challenged for 7 working days from
        # their issue: 29, 30 September, 8, 9, 10 (worked), 12, 13 October; on the 14th it is too late.
        a, b, c, d = (uscc("52", XUHUI, n) for n in (701, 702, 703, 704))
        for code, name in (
            (a, "徐汇区乐群社工服务社"),
            (b, "上海市益心社会工作事务所"),
            (c, "上海浦江社会服务中心"),
            (d, "徐汇区邻里社会工作服务中心"),
        ):
            await w.register(code, name, XUHUI)
        for pid, code, price in (
            (tender, a, "2800000.00"),
            (tender, b, "2900000.00"),
            (tender, c, "2700000.00"),
            (consult, c, "860000.00"),
            (consult, d, "880000.00"),
        ):
            await w.call(
                "POST",
                f"/api/procurement/projects/{pid}/bids",
                ("contractor", XUHUI, code),
                json={"uscc": code, "price": price, "proposal": "服务方案：人员、流程、质量控制"},
                headers=at("2026-10-09"),
                expect=201,
            )
        late = await w.call(
            "POST",
            f"/api/procurement/projects/{tender}/challenges",
            ("contractor", XUHUI, d),
            json={"uscc": d, "against": "documents", "grounds": "评分标准设置不合理"},
            headers=at("2026-10-14"),
            expect=409,
        )
        assert late["code"] == "CHALLENGE_WINDOW_CLOSED" and "2026-10-13" in late["detail"]

        # 3. The consultation closes on its extended deadline, is awarded on 13 October and signed on
        # the 16th: the award announcement (due the 15th) was never recorded, the contract's
        # publication (due 20 October) neither. Both are listed on the 21st, signed or not.
        await w.tr("projects", consult, "bidding_closed", BUREAU, at=day("2026-10-09"), expect=409)
        await _through_review(w, consult, "2026-10-12")
        await _score(w, consult, PANEL3, {c: "70", d: "65"}, "2026-10-12")
        p = await w.tr("projects", consult, "awarded", BUREAU, at=day("2026-10-13"))
        assert deadlines(p) == {
            "award_announcement": ("2026-10-15", None),
            "contract_signing": ("2026-11-12", None),
        }
        await w.call(
            "POST",
            f"/api/procurement/projects/{consult}/contract",
            BUREAU,
            json=contract(p["awarded_amount"], "家计调查服务"),
            expect=201,
        )
        p = await w.tr("projects", consult, "contract_signed", BUREAU, at=day("2026-10-16"))
        assert deadlines(p)["contract_signing"] == ("2026-11-12", "2026-10-16")
        assert deadlines(p)["contract_publication"] == ("2026-10-20", None)
        overdue = await w.call(
            "GET",
            "/api/procurement/projects/overdue-deadlines",
            ("auditor", "310000"),
            params={"on": "2026-10-21", "division_code": XUHUI},
        )
        overdue = overdue["items"]
        assert [(o["project_id"], o["key"], o["days_overdue"]) for o in overdue] == [
            (consult, "award_announcement", 6),
            (consult, "contract_publication", 1),
        ]
        # A cursor page like every list: one at a time, the same two in the same order, then the end.
        paged, cursor = [], None
        for _ in range(3):
            params = {"on": "2026-10-21", "division_code": XUHUI, "limit": "1"}
            page = await w.call(
                "GET",
                "/api/procurement/projects/overdue-deadlines",
                ("auditor", "310000"),
                params={**params, **({"cursor": cursor} if cursor else {})},
            )
            paged += page["items"]
            if (cursor := page.get("next_cursor")) is None:
                break
        assert paged == overdue
        for key, on in (("award_announcement", "2026-10-14"), ("contract_publication", "2026-10-21")):
            await w.call(
                "POST",
                f"/api/procurement/projects/{consult}/deadlines/{key}/fulfil",
                BUREAU,
                json={"on": on},
                headers=at("2026-10-21"),
            )

        # 4. The tender closes on its deadline (not on the 16th), is scored and awarded to A on 20
        # October; the result is announced the next day, so the 30 days to sign run from then.
        refused = await w.tr("projects", tender, "bidding_closed", BUREAU, at=day("2026-10-16"), expect=409)
        assert refused["code"] == "RESPONSE_DEADLINE_NOT_REACHED" and "2026-10-19" in refused["detail"]
        await _through_review(w, tender, "2026-10-19")
        await _score(w, tender, PANEL5, {a: "66", b: "60", c: "60"}, "2026-10-20")
        p = await w.tr("projects", tender, "awarded", BUREAU, at=day("2026-10-20"))
        assert p["awarded_uscc"] == a and p["challenge_deadline"] == "2026-10-29"
        assert deadlines(p) == {
            "award_announcement": ("2026-10-22", None),
            "contract_signing": ("2026-11-19", None),
        }
        p = await w.call(
            "POST",
            f"/api/procurement/projects/{tender}/deadlines/award_announcement/fulfil",
            BUREAU,
            json={"on": "2026-10-21"},
            headers=at("2026-10-21"),
        )
        assert deadlines(p)["contract_signing"] == ("2026-11-20", None)

        # 5. C challenges the result on the 21st. The district owes its answer by 30 October
        # (7 working days, 政府采购法 53); until then C cannot complain. It answers on 2 November: late.
        ch = await w.call(
            "POST",
            f"/api/procurement/projects/{tender}/challenges",
            ("contractor", XUHUI, c),
            json={"uscc": c, "against": "result", "grounds": "商务评分漏计本机构的三项同类业绩"},
            headers=at("2026-10-21"),
            expect=201,
        )
        assert (ch["reply_due"], ch["complaint_deadline"]) == ("2026-10-30", "2026-11-20")
        complaint = {"challenge_id": ch["id"], "grounds": "采购人逾期答复，答复未回应业绩漏计问题"}
        early = await w.call(
            "POST",
            "/api/procurement/complaints",
            ("contractor", XUHUI, c),
            json=complaint,
            headers=at("2026-10-29"),
            expect=409,
        )
        assert early["code"] == "COMPLAINT_TOO_EARLY"
        answered = await w.tr(
            "challenges",
            ch["id"],
            "dismissed",
            BUREAU,
            reason="经复核，业绩证明不符合磋商文件要求",
            at=day("2026-11-02"),
        )
        assert answered["replied_late"] is True and answered["decision"].startswith("经复核")

        # 6. C complains to the district's finance on 3 November; finance decides within 30 working
        # days. The city's finance is not the one to decide; the district's suspends the purchase
        # for 20 days on the 4th: the contract cannot be signed meanwhile.
        filed = await w.call(
            "POST",
            "/api/procurement/complaints",
            ("contractor", XUHUI, c),
            json=complaint,
            headers=at("2026-11-03"),
            expect=201,
        )
        assert filed["decision_due"] == (await w.working_day(date(2026, 11, 3), 30)).isoformat()
        assert filed["finance_division"] == XUHUI
        cpath = f"/api/procurement/complaints/{filed['id']}/transitions"
        suspend = {"to": "suspended", "data": {"days": 20}, "reason": "处理投诉期间暂停采购活动"}
        other = await w.call(
            "POST", cpath, ("finance", "310000"), json=suspend, headers=at("2026-11-04"), expect=403
        )
        assert other["code"] == "COMPLAINT_NOT_AT_LEVEL"
        suspended = await w.call("POST", cpath, FINANCE, json=suspend, headers=at("2026-11-04"))
        assert suspended["suspended_until"] == "2026-11-23"
        await w.call(
            "POST",
            f"/api/procurement/projects/{tender}/contract",
            BUREAU,
            json=contract("2800000.00", "社会救助个案评估服务"),
            expect=201,
        )
        held = await w.tr("projects", tender, "contract_signed", BUREAU, at=day("2026-11-05"), expect=409)
        assert held["code"] == "PROCUREMENT_SUSPENDED" and "政府采购法 第五十七条" in held["detail"]

        # 7. Upheld on 10 November: the tender goes back to scoring (the award, its deadlines and the
        # draft contract go), the suspension ends. Scored again, C wins and signs; its contract is
        # published late, and listed until it is recorded.
        upheld = {
            "to": "upheld",
            "data": {"redo_from": "scoring"},
            "reason": "业绩漏计属实，投诉成立，重新评审",
        }
        decided = await w.call("POST", cpath, FINANCE, json=upheld, headers=at("2026-11-10"))
        assert (decided["status"], decided["decided_late"]) == ("upheld", False)
        p = await w.call("GET", f"/api/procurement/projects/{tender}", BUREAU)
        assert (p["status"], p["suspended_until"], p["awarded_uscc"], p["deadlines"], p["contract_id"]) == (
            "scoring",
            None,
            None,
            [],
            None,
        )
        await _score(w, tender, PANEL5, {a: "60", b: "60", c: "70"}, "2026-11-11")
        p = await w.tr("projects", tender, "awarded", BUREAU, at=day("2026-11-11"))
        assert p["awarded_uscc"] == c
        await w.call(
            "POST",
            f"/api/procurement/projects/{tender}/contract",
            BUREAU,
            json=contract("2700000.00", "社会救助个案评估服务"),
            expect=201,
        )
        p = await w.tr("projects", tender, "contract_signed", BUREAU, at=day("2026-11-12"))
        assert deadlines(p)["contract_publication"] == ("2026-11-16", None)
        overdue = await w.call(
            "GET",
            "/api/procurement/projects/overdue-deadlines",
            FINANCE,
            params={"on": "2026-11-17"},
        )
        overdue = overdue["items"]
        assert [(o["key"], o["due_on"]) for o in overdue] == [
            ("award_announcement", "2026-11-13"),
            ("contract_publication", "2026-11-16"),
        ]

        # 8. The history tells it, and every chain verifies.
        events = await w.call("GET", f"/api/procurement/projects/{tender}/events", ("auditor", XUHUI))
        actions = [e["action"] for e in events]
        assert {"project.suspended", "project.suspension_lifted", "project.reopen_scoring"} <= set(actions)
        reopened = next(e for e in events if e["action"] == "project.reopen_scoring")
        assert reopened["reason"] == f"投诉处理决定（{filed['id']}）：{upheld['reason']}"
        amended = await w.call("GET", f"/api/procurement/projects/{consult}/events", ("auditor", XUHUI))
        assert "project.response_deadline_extended" in [e["action"] for e in amended]
        await w.verify_trail(("auditor", "310000"))
        kinds = await every_chain(database_url)
        assert kinds["procurement"]["complaint"] == 1 and kinds["procurement"]["challenge"] == 1
