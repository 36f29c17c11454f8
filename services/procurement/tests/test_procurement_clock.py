"""The legal clock of a purchase: periods per method, the deadlines after the award, challenges with
their reply, complaints with a suspension. Every period is a dated rule with its clause; each test
sets its days with X-Jiuzhu-Clock on the 2026 calendar (National Day: 1–7 October off, Saturday
10 October worked; Mid-Autumn: 25–27 September off).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from jiuzhu_devtools.testing import test_today

from .conftest import SH_DISTRICT, Kit

XUHUI = SH_DISTRICT  # 徐汇区: national rules (no local procurement pack)
STREET = "310104011"  # a street office of 徐汇区: its complaints go to the district's finance
TENDER = {"method": "open_tender", "scoring": {"price_weight": "30"}}
CONSULT = {"method": "competitive_consultation", "ground": "purchased_services"}
NEGOTIATE = {"method": "competitive_negotiation", "ground": "technically_complex"}
SINGLE = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}


def on(d: date | str) -> str:
    return f"{d}T10:00:00+08:00"


# name → (value, unit, clause, first day in force or None when in force since the law)
PERIODS: dict[str, tuple[int, str, str, str | None]] = {
    "response_period_min_open_tender": (20, "day", "政府采购法 第三十五条", None),
    "response_period_min_invited_tender": (20, "day", "政府采购法 第三十五条", None),
    "response_period_min_competitive_consultation": (10, "day", "财库〔2014〕214号 第十条", "2014-12-31"),
    "response_period_min_competitive_negotiation": (
        3,
        "working_day",
        "财政部令第74号 第二十九条",
        "2014-02-01",
    ),
    "response_period_min_request_for_quotation": (
        3,
        "working_day",
        "财政部令第74号 第四十五条",
        "2014-02-01",
    ),
    "response_period_min_framework_agreement": (
        20,
        "day",
        "财政部令第110号 封闭式框架协议公开征集（条款号待核）",
        "2022-03-01",
    ),
    "single_source_publicity_min": (5, "working_day", "政府采购法实施条例 第三十八条", "2015-03-01"),
    "award_announcement_working_days": (2, "working_day", "政府采购法实施条例 第四十三条", "2015-03-01"),
    "contract_signing_days": (30, "day", "政府采购法 第四十六条", None),
    "contract_publication_working_days": (2, "working_day", "政府采购法实施条例 第五十条", "2015-03-01"),
    "challenge_working_days": (7, "working_day", "政府采购法 第五十二条", None),
    "challenge_reply_working_days": (7, "working_day", "政府采购法 第五十三条", None),
    "complaint_working_days": (15, "working_day", "政府采购法 第五十五条", None),
    "complaint_decision_working_days": (30, "working_day", "政府采购法 第五十六条", None),
    "suspension_days_max": (30, "day", "政府采购法 第五十七条", None),
}
UNVERIFIED = {
    "response_period_min_competitive_negotiation",
    "response_period_min_request_for_quotation",
    "response_period_min_framework_agreement",
}


async def _rules(client: httpx.AsyncClient, day: str) -> dict[str, dict[str, Any]]:
    r = await client.get("/rules/in-force", params={"division_code": XUHUI, "on": day})
    assert r.status_code == 200, r.text
    return {x["name"]: x for x in r.json()["rules"]}


async def test_every_period_is_a_dated_rule_with_its_clause(client: httpx.AsyncClient) -> None:
    """Published with its value, unit and clause; where a period starts on a date (the consultation
    method, 74号令, the implementing regulations), absent the day before and in force on it."""
    now = await _rules(client, "2026-06-15")
    for name, (value, unit, clause, since) in PERIODS.items():
        r = now[name]
        assert (r["value"], r["unit"], r["citation"]["text"]) == (value, unit, clause), name
        assert r["verified"] is (name not in UNVERIFIED), name
        if since is None:
            assert name in await _rules(client, "2003-01-01"), name
            continue
        before = date.fromisoformat(since) - timedelta(days=1)
        assert name not in await _rules(client, before.isoformat()), name
        first = (await _rules(client, since))[name]
        assert (first["value"], first["valid_from"]) == (value, since), name


async def _plan(kit: Kit) -> str:
    return await kit.plan(XUHUI, test_today().year, amount="9000000.00")


async def _approved(kit: Kit, plan: str, budget: str = "2950000.00", items: list[str] | None = None) -> str:
    pid = str((await kit.project(XUHUI, plan, budget=budget, items=items or ["DS12"])).json()["id"])
    await kit.tr("projects", pid, "approved", "finance", XUHUI)
    return pid


async def test_a_deadline_below_the_methods_period_is_refused_with_its_clause(kit: Kit) -> None:
    # Open tender, documents issued 28 September 2026: 20 days → the deadline is 18 October at the
    # earliest (a Sunday: by default the Monday after).
    plan = await _plan(kit)
    tender = await _approved(kit, plan)
    short = {**TENDER, "response_deadline": "2026-10-17"}
    r = await kit.tr("projects", tender, "announced", "bureau", XUHUI, short, at=on("2026-09-28"), expect=409)
    body = r.json()
    assert body["code"] == "PERIOD_TOO_SHORT" and body["earliest_deadline"] == "2026-10-18"
    assert "20 日" in body["detail"] and "政府采购法 第三十五条" in body["detail"]
    p = (await kit.tr("projects", tender, "announced", "bureau", XUHUI, TENDER, at=on("2026-09-28"))).json()
    assert (p["documents_issued_on"], p["response_deadline"]) == ("2026-09-28", "2026-10-19")
    assert p["method_details"]["period"]["citation"] == "政府采购法 第三十五条"

    # Consultation: 10 days (财库〔2014〕214号 10), counted across the National Day week all the same.
    consult = await _approved(kit, plan, budget="900000.00", items=["AS02"])
    r = await kit.tr(
        "projects",
        consult,
        "announced",
        "bureau",
        XUHUI,
        {**CONSULT, "response_deadline": "2026-10-07"},
        at=on("2026-09-28"),
        expect=409,
    )
    assert r.json()["code"] == "PERIOD_TOO_SHORT" and "财库〔2014〕214号 第十条" in r.json()["detail"]

    # Negotiation: 3 working days (74号令, unverified), and the holiday counts for nothing: documents
    # issued on 30 September → 8, 9 and 10 (a make-up Saturday) October.
    negotiate = await _approved(kit, plan, budget="900000.00", items=["AS03"])
    r = await kit.tr(
        "projects",
        negotiate,
        "announced",
        "bureau",
        XUHUI,
        {**NEGOTIATE, "response_deadline": "2026-10-09"},
        at=on("2026-09-30"),
        expect=409,
    )
    assert r.json()["earliest_deadline"] == "2026-10-10"
    assert "3 个工作日" in r.json()["detail"] and "财政部令第74号 第二十九条（未核实）" in r.json()["detail"]
    p = (
        await kit.tr("projects", negotiate, "announced", "bureau", XUHUI, NEGOTIATE, at=on("2026-09-30"))
    ).json()
    assert p["response_deadline"] == "2026-10-10"

    # The documents cannot have been issued before the announcement (a backdated period).
    early = await _approved(kit, plan, budget="900000.00", items=["AS04"])
    r = await kit.tr(
        "projects",
        early,
        "announced",
        "bureau",
        XUHUI,
        {**CONSULT, "documents_issued_on": "2026-09-01"},
        at=on("2026-09-28"),
        expect=422,
    )
    assert r.json()["errors"][0]["pointer"] == "#/data/documents_issued_on"


async def test_bidding_closes_at_the_deadline_and_extending_it_is_an_audited_amendment(kit: Kit) -> None:
    pid = await _approved(kit, await _plan(kit), budget="900000.00", items=["AS02"])
    await kit.tr("projects", pid, "announced", "bureau", XUHUI, CONSULT, at=on("2026-09-28"))
    r = await kit.tr("projects", pid, "bidding_closed", "bureau", XUHUI, at=on("2026-10-07"), expect=409)
    assert r.json()["code"] == "RESPONSE_DEADLINE_NOT_REACHED" and "2026-10-08" in r.json()["detail"]

    async def extend(day: str, clock: str) -> httpx.Response:
        headers = {**kit.auth("bureau", XUHUI), "X-Jiuzhu-Clock": on(clock)}
        body = {"response_deadline": day, "reason": "采购文件澄清，顺延递交截止之日"}
        return await kit.c.post(f"/projects/{pid}/response-deadline", json=body, headers=headers)

    r = await extend("2026-10-07", "2026-09-30")
    assert (r.status_code, r.json()["code"]) == (409, "DEADLINE_NOT_LATER")
    r = await extend("2026-10-12", "2026-09-30")
    assert r.status_code == 200, r.text
    period = r.json()["method_details"]["period"]
    assert r.json()["response_deadline"] == "2026-10-12"
    assert period["extensions"][0] | {"by": "x"} == {
        "from": "2026-10-08",
        "to": "2026-10-12",
        "on": "2026-09-30",
        "by": "x",
        "reason": "采购文件澄清，顺延递交截止之日",
    }
    events = (await kit.c.get(f"/projects/{pid}/events", headers=kit.auth("auditor", XUHUI))).json()
    amended = next(e for e in events if e["action"] == "project.response_deadline_extended")
    assert amended["reason"] == "采购文件澄清，顺延递交截止之日"
    # A second amendment at the same instant (the ORM write keeps its updated_at in the UPDATE).
    r = await extend("2026-10-13", "2026-09-30")
    assert r.status_code == 200, r.text
    assert [x["to"] for x in r.json()["method_details"]["period"]["extensions"]] == [
        "2026-10-12",
        "2026-10-13",
    ]
    await kit.tr("projects", pid, "bidding_closed", "bureau", XUHUI, at=on("2026-10-12"), expect=409)
    await kit.tr("projects", pid, "bidding_closed", "bureau", XUHUI, at=on("2026-10-13"))


async def test_single_source_awards_only_after_its_publicity(kit: Kit) -> None:
    pid = await _approved(kit, await _plan(kit), budget="500000.00", items=["AS09"])
    # Announced on 29 September: five working days of publicity end on 12 October.
    short = {**SINGLE, "response_deadline": "2026-10-12"}
    r = await kit.tr("projects", pid, "announced", "bureau", XUHUI, short, at=on("2026-09-29"), expect=409)
    assert r.json()["code"] == "PERIOD_TOO_SHORT" and "政府采购法实施条例 第三十八条" in r.json()["detail"]
    p = (await kit.tr("projects", pid, "announced", "bureau", XUHUI, SINGLE, at=on("2026-09-29"))).json()
    assert p["method_details"]["publicity_ends_on"] == "2026-10-12" and p["response_deadline"] == "2026-10-13"
    company = await kit.contractor(9101)
    bid = (await kit.bid(pid, company, "480000.00")).json()["id"]
    await kit.tr("projects", pid, "bidding_closed", "bureau", XUHUI, at=on("2026-10-13"))
    await kit.tr("projects", pid, "qualification_review", "bureau", XUHUI)
    r = await kit.c.post(
        f"/projects/{pid}/bids/{bid}/qualification",
        json={"qualified": True},
        headers=kit.auth("bureau", XUHUI),
    )
    assert r.status_code == 200, r.text
    await kit.tr("projects", pid, "scoring", "bureau", XUHUI)
    await kit.score(XUHUI, pid, [bid], ["66"], panel=1)
    # An award dated inside the publicity is refused (the clock moved back for the test).
    r = await kit.tr("projects", pid, "awarded", "bureau", XUHUI, at=on("2026-10-12"), expect=409)
    assert r.json()["code"] == "SINGLE_SOURCE_PUBLICITY_RUNNING"
    await kit.tr("projects", pid, "awarded", "bureau", XUHUI, at=on("2026-10-14"))


async def _awarded(kit: Kit, day: str) -> tuple[str, list[str], list[str]]:
    """An open tender announced 35 days before `day`, awarded on `day`: (project, bidders, bid ids)."""
    pid = await _approved(kit, await _plan(kit))
    start = date.fromisoformat(day) - timedelta(days=35)
    await kit.tr("projects", pid, "announced", "bureau", XUHUI, TENDER, at=on(start))
    codes, bids = [], []
    for price in ("2800000.00", "2600000.00", "2900000.00"):
        kit.n += 1
        codes.append(await kit.contractor(kit.n))
        bids.append((await kit.bid(pid, codes[-1], price)).json()["id"])
    await kit.tr("projects", pid, "bidding_closed", "bureau", XUHUI, at=on(day))
    await kit.tr("projects", pid, "qualification_review", "bureau", XUHUI, at=on(day))
    for b in bids:
        r = await kit.c.post(
            f"/projects/{pid}/bids/{b}/qualification",
            json={"qualified": True},
            headers=kit.auth("bureau", XUHUI),
        )
        assert r.status_code == 200, r.text
    await kit.tr("projects", pid, "scoring", "bureau", XUHUI, at=on(day))
    await kit.score(XUHUI, pid, bids, ["66", "60", "55"])
    await kit.tr("projects", pid, "awarded", "bureau", XUHUI, at=on(day))
    return pid, codes, bids


def _deadlines(p: dict[str, Any]) -> dict[str, tuple[str, str | None, str]]:
    return {d["key"]: (d["due_on"], d["fulfilled_on"], d["status"]) for d in p["deadlines"]}


async def test_the_deadlines_after_the_award_are_shown_and_listed_when_overdue(kit: Kit) -> None:
    pid, codes, _ = await _awarded(kit, "2026-09-29")
    p = (await kit.c.get(f"/projects/{pid}", headers=kit.auth("bureau", XUHUI))).json()
    # Result announced by the 2nd working day (30 September, then 8 October after the holiday);
    # contract signed within 30 days: 29 October.
    assert {k: v[0] for k, v in _deadlines(p).items()} == {
        "award_announcement": "2026-10-08",
        "contract_signing": "2026-10-29",
    }
    assert next(d for d in p["deadlines"] if d["key"] == "award_announcement")["citation"] == (
        "政府采购法实施条例 第四十三条"
    )

    async def overdue(as_of: str, div: str = XUHUI) -> list[tuple[str, str, int]]:
        r = await kit.c.get(
            "/projects/overdue-deadlines",
            params={"on": as_of, "division_code": div},
            headers=kit.auth("finance", div),
        )
        assert r.status_code == 200, r.text
        return [
            (o["key"], o["due_on"], o["days_overdue"]) for o in r.json()["items"] if o["project_id"] == pid
        ]

    assert await overdue("2026-10-08") == []
    assert await overdue("2026-10-09") == [("award_announcement", "2026-10-08", 1)]
    assert await overdue("2026-10-09", "310000") == [
        ("award_announcement", "2026-10-08", 1)
    ]  # Shanghai sees it
    other = await kit.c.get(
        "/projects/overdue-deadlines", params={"division_code": XUHUI}, headers=kit.auth("finance", "310105")
    )
    assert other.status_code == 403

    async def met(key: str, day: str, clock: str, expect: int = 200) -> httpx.Response:
        headers = {**kit.auth("bureau", XUHUI), "X-Jiuzhu-Clock": on(clock)}
        r = await kit.c.post(f"/projects/{pid}/deadlines/{key}/fulfil", json={"on": day}, headers=headers)
        assert r.status_code == expect, r.text
        return r

    assert (await met("award_announcement", "2026-10-12", "2026-10-10", 409)).json()["code"] == (
        "DEADLINE_DATE_INVALID"
    )
    assert (await met("contract_signing", "2026-10-09", "2026-10-10", 409)).json()[
        "code"
    ] == "DEADLINE_NOT_MANUAL"
    # Recorded late (9 October): the notice went out with it, so the 30 days run from then: 8
    # November is a Sunday, the period ends on Monday 9 November (民法典 203).
    p = (await met("award_announcement", "2026-10-09", "2026-10-10")).json()
    assert _deadlines(p) == {
        "award_announcement": ("2026-10-08", "2026-10-09", "late"),
        "contract_signing": ("2026-11-09", None, "pending"),
    }
    assert (await met("award_announcement", "2026-10-09", "2026-10-10", 409)).json()["code"] == (
        "DEADLINE_ALREADY_MET"
    )
    assert await overdue("2026-11-10") == [("contract_signing", "2026-11-09", 1)]

    # Signing meets its deadline and starts the publication's: 2 working days.
    contract = _contract(test_today(), "2800000.00")  # the winner's price
    r = await kit.c.post(f"/projects/{pid}/contract", json=contract, headers=kit.auth("bureau", XUHUI))
    assert r.status_code == 201, r.text
    p = (await kit.tr("projects", pid, "contract_signed", "bureau", XUHUI, at=on("2026-10-16"))).json()
    assert _deadlines(p)["contract_signing"] == ("2026-11-09", "2026-10-16", "met")
    assert _deadlines(p)["contract_publication"][0] == "2026-10-20"
    assert await overdue("2026-10-21") == [("contract_publication", "2026-10-20", 1)]
    # Supervision goes on; the missed publication stays listed until it is recorded.
    await kit.tr("projects", pid, "performance_supervision", "bureau", XUHUI, at=on("2026-10-22"))
    assert await overdue("2026-10-23") == [("contract_publication", "2026-10-20", 3)]
    await met("contract_publication", "2026-10-22", "2026-10-23")
    assert await overdue("2026-10-23") == []


def _contract(start: date, price: str) -> dict[str, Any]:
    end = start + timedelta(days=364)
    return {
        "subject": "社会救助个案评估服务",
        "service_standards": "按采购文件的服务标准",
        "quantity": "全年 600 个个案",
        "term_start": start.isoformat(),
        "term_end": end.isoformat(),
        "payment_method": "按年度考核后支付",
        "payment_schedule": [{"period": "Y1", "amount": price, "due_on": end.isoformat()}],
        "breach_liability": "违约金为合同金额 5%",
        "dispute_resolution": "协商不成向人民法院起诉",
        "takeover_plan": "承接主体退出时由区民政局临时接管",
    }


async def _challenge(
    kit: Kit, pid: str, code: str, against: str, clock: str, expect: int = 201
) -> dict[str, Any]:
    headers = {**kit.auth("contractor", XUHUI, org=code), "X-Jiuzhu-Clock": on(clock)}
    body = {"uscc": code, "against": against, "grounds": "评审因素设置排斥潜在供应商"}
    r = await kit.c.post(f"/projects/{pid}/challenges", json=body, headers=headers)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def test_challenges_against_documents_process_and_result_each_have_their_window(kit: Kit) -> None:
    pid = await _approved(kit, await _plan(kit))
    supplier = await kit.contractor(9201)
    # Before the award there is no result to challenge; before the announcement no documents.
    assert (await _challenge(kit, pid, supplier, "documents", "2026-09-28", 409))[
        "code"
    ] == "CHALLENGE_NOT_OPEN"
    await kit.tr("projects", pid, "announced", "bureau", XUHUI, TENDER, at=on("2026-09-28"))
    assert (await _challenge(kit, pid, supplier, "result", "2026-09-29", 409))["code"] == "CHALLENGE_NOT_OPEN"
    assert (await _challenge(kit, pid, supplier, "process", "2026-09-29", 409))[
        "code"
    ] == "CHALLENGE_NOT_OPEN"
    # The documents: 7 working days from their issue, across the holiday: until 13 October.
    late = await _challenge(kit, pid, supplier, "documents", "2026-10-14", 409)
    assert late["code"] == "CHALLENGE_WINDOW_CLOSED" and "2026-10-13" in late["detail"]
    ch = await _challenge(kit, pid, supplier, "documents", "2026-10-13")  # it has not bid: allowed
    # Reply due 7 working days after receipt (22 October); a complaint may follow until 15 working
    # days after that (12 November).
    assert (ch["against"], ch["reply_due"], ch["complaint_deadline"]) == (
        "documents",
        "2026-10-22",
        "2026-11-12",
    )
    assert ch["replied_late"] is None
    r = await kit.tr(
        "challenges",
        ch["id"],
        "dismissed",
        "bureau",
        XUHUI,
        reason="评审因素与采购需求相关，不构成排斥（答复全文）",
        at=on("2026-10-23"),
    )
    assert r.json()["decision"].endswith("（答复全文）") and r.json()["replied_late"] is True


async def _complain(kit: Kit, challenge: str, code: str, clock: str, expect: int = 201) -> dict[str, Any]:
    headers = {**kit.auth("contractor", XUHUI, org=code), "X-Jiuzhu-Clock": on(clock)}
    body = {"challenge_id": challenge, "grounds": "采购人逾期答复，且答复未回应评分问题"}
    r = await kit.c.post("/complaints", json=body, headers=headers)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def test_a_complaint_suspends_the_purchase_and_its_decision_moves_the_project(kit: Kit) -> None:
    pid, codes, bids = await _awarded(kit, "2026-10-12")
    loser = codes[1]
    ch = await _challenge(kit, pid, loser, "result", "2026-10-13")
    assert ch["reply_due"] == "2026-10-22"
    # No answer yet and the reply is not due: too early to complain; the challenger only.
    assert (await _complain(kit, ch["id"], loser, "2026-10-22", 409))["code"] == "COMPLAINT_TOO_EARLY"
    assert (await _complain(kit, ch["id"], codes[2], "2026-10-23", 403))["code"] == "ROLE_FORBIDDEN"
    # Unanswered on the 23rd: the supplier complains to finance, which decides within 30 working days.
    c = await _complain(kit, ch["id"], loser, "2026-10-23")
    assert (c["status"], c["finance_division"], c["decision_due"]) == ("filed", XUHUI, "2026-12-04")
    assert (await _complain(kit, ch["id"], loser, "2026-10-23", 409))["code"] == "COMPLAINT_EXISTS"

    async def handle(body: dict[str, Any], role: str, div: str, clock: str, expect: int = 200) -> Any:
        headers = {**kit.auth(role, div), "X-Jiuzhu-Clock": on(clock)}
        r = await kit.c.post(f"/complaints/{c['id']}/transitions", json=body, headers=headers)
        assert r.status_code == expect, r.text
        return r.json()

    suspend = {"to": "suspended", "data": {"days": 20}, "reason": "处理投诉期间暂停采购活动"}
    assert (await handle(suspend, "finance", "310000", "2026-10-26", 403))["code"] == "COMPLAINT_NOT_AT_LEVEL"
    assert (await handle(suspend, "bureau", XUHUI, "2026-10-26", 403))["code"] == "ROLE_FORBIDDEN"
    too_long = {**suspend, "data": {"days": 31}}
    r = await handle(too_long, "finance", XUHUI, "2026-10-26", 409)
    assert r["code"] == "SUSPENSION_TOO_LONG" and "政府采购法 第五十七条" in r["detail"]
    c = await handle(suspend, "finance", XUHUI, "2026-10-26")
    assert (c["status"], c["suspended_on"], c["suspended_until"]) == ("suspended", "2026-10-26", "2026-11-14")
    p = (await kit.c.get(f"/projects/{pid}", headers=kit.auth("bureau", XUHUI))).json()
    assert p["suspended_until"] == "2026-11-14"
    # While suspended nothing is signed (the challenge, unanswered, would hold it too: answer it late).
    await kit.tr("challenges", ch["id"], "dismissed", "bureau", XUHUI, reason="评分无误", at=on("2026-10-27"))
    r = await kit.c.post(
        f"/projects/{pid}/contract",
        json=_contract(test_today(), "2800000.00"),
        headers=kit.auth("bureau", XUHUI),
    )
    assert r.status_code == 201, r.text
    r = await kit.tr("projects", pid, "contract_signed", "bureau", XUHUI, at=on("2026-11-02"), expect=409)
    assert r.json()["code"] == "PROCUREMENT_SUSPENDED" and "2026-11-14" in r.json()["detail"]
    # Upheld: the qualification review again; the suspension ends with the decision.
    upheld = {
        "to": "upheld",
        "data": {"redo_from": "qualification_review"},
        "reason": "资格审查遗漏业绩证明，投诉成立",
    }
    c = await handle(upheld, "finance", XUHUI, "2026-11-04")
    assert (c["status"], c["redo_from"], c["decided_on"], c["decided_late"]) == (
        "upheld",
        "qualification_review",
        "2026-11-04",
        False,
    )
    p = (await kit.c.get(f"/projects/{pid}", headers=kit.auth("bureau", XUHUI))).json()
    assert (p["status"], p["suspended_until"], p["awarded_uscc"], p["deadlines"]) == (
        "qualification_review",
        None,
        None,
        [],
    )
    listed = (await kit.c.get(f"/projects/{pid}/bids", headers=kit.auth("bureau", XUHUI))).json()
    assert {b["qualified"] for b in listed} == {None}
    events = (await kit.c.get(f"/projects/{pid}/events", headers=kit.auth("auditor", XUHUI))).json()
    actions = [e["action"] for e in events]
    assert actions[-3:] == [
        "project.suspended",
        "project.suspension_lifted",
        "project.redo_qualification_review",
    ]
    assert events[-1]["reason"].startswith(f"投诉处理决定（{c['id']}）：")
    listed = (
        await kit.c.get("/complaints", params={"division_code": XUHUI}, headers=kit.auth("finance", XUHUI))
    ).json()
    assert [x["id"] for x in listed["items"]] == [c["id"]]


async def test_an_unanswered_challenge_is_superseded_and_the_award_voided(kit: Kit) -> None:
    pid, codes, _ = await _awarded(kit, "2026-10-12")
    ch = await _challenge(kit, pid, codes[1], "process", "2026-10-13")
    c = await _complain(kit, ch["id"], codes[1], "2026-10-23")
    headers = {**kit.auth("finance", XUHUI), "X-Jiuzhu-Clock": on("2026-11-02")}
    body = {"to": "award_void", "reason": "评审委员会组成不合法，成交结果无效"}
    r = await kit.c.post(f"/complaints/{c['id']}/transitions", json=body, headers=headers)
    assert r.status_code == 200, r.text
    p = (await kit.c.get(f"/projects/{pid}", headers=kit.auth("bureau", XUHUI))).json()
    assert p["status"] == "failed" and p["awarded_uscc"] is None and p["deadlines"] == []
    challenges = (await kit.c.get(f"/projects/{pid}/challenges", headers=kit.auth("bureau", XUHUI))).json()
    assert [(x["status"], x["decision"]) for x in challenges] == [("superseded", body["reason"])]
    # A complaint decided cannot be decided again; the purchase is re-procured as after any failure.
    r = await kit.c.post(
        f"/complaints/{c['id']}/transitions", json={"to": "dismissed", "reason": "x"}, headers=headers
    )
    assert (r.status_code, r.json()["code"]) == (409, "TRANSITION_NOT_ALLOWED")


async def test_a_complaint_comes_within_15_working_days_of_the_reply_deadline(kit: Kit) -> None:
    pid, codes, _ = await _awarded(kit, "2026-10-12")
    ch = await _challenge(kit, pid, codes[2], "result", "2026-10-13")
    await kit.tr("challenges", ch["id"], "dismissed", "bureau", XUHUI, reason="评分无误", at=on("2026-10-14"))
    # Answered: not satisfied, the supplier may complain at once, until 12 November.
    late = await _complain(kit, ch["id"], codes[2], "2026-11-13", 409)
    assert late["code"] == "COMPLAINT_WINDOW_CLOSED" and "2026-11-12" in late["detail"]
    await _complain(kit, ch["id"], codes[2], "2026-11-12")


async def test_a_townships_complaints_go_to_its_countys_finance(kit: Kit) -> None:
    plan = await kit.plan(XUHUI, test_today().year, amount="9000000.00")
    r = await kit.c.post(
        "/projects",
        json={
            "plan_id": plan,
            "division_code": STREET,
            "title": "街道社会救助经办服务",
            "items": ["AS01"],
            "budget": "600000.00",
            "funding_source": "working_funds",
        },
        headers=kit.auth("bureau", XUHUI),  # the district declares it for its street office
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    await kit.tr("projects", pid, "approved", "finance", XUHUI)
    await kit.tr("projects", pid, "announced", "township", STREET, CONSULT, at=on("2026-09-28"))
    supplier = await kit.contractor(9301)
    ch = await _challenge(kit, pid, supplier, "documents", "2026-09-29")
    await kit.tr(
        "challenges", ch["id"], "dismissed", "township", STREET, reason="符合规定", at=on("2026-09-30")
    )
    c = await _complain(kit, ch["id"], supplier, "2026-10-08")
    assert (c["division_code"], c["finance_division"]) == (STREET, XUHUI)
    headers = {**kit.auth("finance", XUHUI), "X-Jiuzhu-Clock": on("2026-10-09")}
    # Upheld on the documents: back to before the announcement, to announce corrected documents.
    body = {"to": "upheld", "data": {"redo_from": "announcement"}, "reason": "磋商文件评审因素应当修改"}
    r = await kit.c.post(f"/complaints/{c['id']}/transitions", json=body, headers=headers)
    assert r.status_code == 200, r.text
    p = (await kit.c.get(f"/projects/{pid}", headers=kit.auth("bureau", XUHUI))).json()
    assert p["status"] == "approved" and p["outcome"]["redone"][0]["step"] == "announcement"
    p = (await kit.tr("projects", pid, "announced", "township", STREET, CONSULT, at=on("2026-10-12"))).json()
    assert (p["round"], p["documents_issued_on"], p["response_deadline"]) == (2, "2026-10-12", "2026-10-22")


async def test_a_suspension_resumed_and_ordered_again_stays_within_30_days(kit: Kit) -> None:
    pid, codes, _ = await _awarded(kit, "2026-10-12")
    ch = await _challenge(kit, pid, codes[1], "result", "2026-10-13")
    c = await _complain(kit, ch["id"], codes[1], "2026-10-23")

    async def handle(body: dict[str, Any], clock: str, expect: int = 200) -> Any:
        headers = {**kit.auth("finance", XUHUI), "X-Jiuzhu-Clock": on(clock)}
        r = await kit.c.post(f"/complaints/{c['id']}/transitions", json=body, headers=headers)
        assert r.status_code == expect, r.text
        return r.json()

    def suspend(days: int) -> dict[str, Any]:
        return {"to": "suspended", "data": {"days": days}, "reason": "暂停采购活动"}

    async def pending() -> dict[str, tuple[str, int]]:
        p = (await kit.c.get(f"/projects/{pid}", headers=kit.auth("bureau", XUHUI))).json()
        return {
            d["key"]: (d["due_on"], d.get("suspended_days", 0))
            for d in p["deadlines"]
            if not d["fulfilled_on"]
        }

    def later(days: int) -> dict[str, tuple[str, int]]:
        return {
            k: ((date.fromisoformat(due) + timedelta(days=days)).isoformat(), days)
            for k, (due, _) in first.items()
        }

    first = await pending()
    assert "contract_signing" in first
    await handle(suspend(10), "2026-10-26")
    # The days the purchase stands still do not run against the purchaser (26 Oct – 4 Nov).
    assert await pending() == later(10)
    resumed = await handle({"to": "filed", "reason": "调查完毕前恢复采购"}, "2026-10-28")
    assert (resumed["suspended_on"], resumed["suspended_until"]) == ("2026-10-26", "2026-10-27")
    p = (await kit.c.get(f"/projects/{pid}", headers=kit.auth("bureau", XUHUI))).json()
    assert p["suspended_until"] is None
    assert await pending() == later(2), "resumed on the 28th: two days stood still"
    # From 26 October, 30 days end on 24 November: 25 more days from 2 November would pass it.
    r = await handle(suspend(25), "2026-11-02", 409)
    assert r["code"] == "SUSPENSION_TOO_LONG" and "32" in r["detail"]
    again = await handle(suspend(23), "2026-11-02")
    assert (again["suspended_on"], again["suspended_until"]) == ("2026-10-26", "2026-11-24")
    assert await pending() == later(25)
